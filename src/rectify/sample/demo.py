"""The demonstration run: two years of the sample county through the whole procedure.

`run_demo()` drives a `Campaign` on the bundled sample county (北岭县,
fictional) with the given policy and store, and tells its story:

- **2016.** Identification with reasons; plans; five-level support (a
  coverage gap found and fixed); monthly reports; verifications, one failing
  and passing on its second attempt; delisting; at year end two cases are not
  delisted: they continue, still open, into 2017 (未按期销号转入下年度继续整顿),
  among them 南沟乡杏树坪村, and count as listed in 2017.
- **2017.** Identification lists 杏树坪村 again: it escalates, and the cascade
  dismisses both its secretary and the secretary of the 南沟乡 township
  committee above it.  Talks, an appraisal for 2016, plans and support for
  the new cases, after successors are appointed to the posts of the dismissed
  (组织调整), so plans name the new secretaries; by the end of June most are
  verified and delisted, one fails its verification and a few are overdue, so the second-quarter
  bulletin issued on 10 July has something to report.

Every command has a fixed command id, so running the demo again on the same
ledger changes nothing and says so.

>>> from rectify import load_policy
>>> report = run_demo(load_policy())
>>> report.step("open 2016 cases").count, report.step("escalations 2017").count
(20, 4)
>>> [d.split(" ")[0] for d in report.step("dismissals 2017").note.split("; ")][:2]
['P0043', 'P0069']
>>> [c.id for c in report.campaign.cases(year=2016, open_only=True)]
['2016-I05', '2016-T04-05']
>>> again = run_demo(load_policy(), report.campaign.store)
>>> again.already_done
True
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import ClassVar

import attrs

from rectify.campaign import Campaign
from rectify.coverage import coverage_from_campaign, missing_support
from rectify.errors import RectifyError
from rectify.events import SecretaryDismissed
from rectify.identify import identify
from rectify.lifecycle.case import CaseRecord, Plan
from rectify.lifecycle.guards import Votes
from rectify.model import Assessment, Person
from rectify.policy import Policy
from rectify.sample import sample_assessments, sample_people, sample_population
from rectify.stores.base import LedgerStore

__all__ = ["APPOINTED_ON", "CARRIED_OVER", "SUCCESSORS", "DemoReport", "DemoStep", "run_demo"]

Progress = Callable[[str, int, int], None]

_LEVEL_ROLES = {
    "leader_contact": "county_leader",
    "org_guidance": "org_department",
    "paired_unit": "paired_unit",
    "committee_supervisor": "committee_supervisor",
    "first_secretary": "first_secretary",
}

#: Organizations whose 2016 case the demo leaves unfinished at year end: the
#: village listed again in 2017 (its township secretary is dismissed by the
#: cascade) and a hospital branch.
CARRIED_OVER = ("T04-05", "I05")
#: The successors the organization department appoints (组织调整) after the 2017
#: dismissals, by organization: the cases go on under them.
SUCCESSORS: tuple[Person, ...] = (
    Person("P0287", "韩立新", roles={"secretary"}, unit="北岭县统计局党支部"),
    Person("P0288", "苏明远", roles={"secretary"}, unit="北岭县水务集团党委"),
    Person("P0289", "魏春燕", roles={"secretary"}, unit="县水务集团工程公司党支部"),
    Person("P0290", "郑国庆", roles={"secretary"}, unit="中共北岭县南沟乡委员会"),
    Person("P0291", "谢秀兰", roles={"secretary"}, unit="南沟乡杏树坪村党支部"),
)
#: The day the successors take up their posts.
APPOINTED_ON = date(2017, 2, 20)

#: The 2016 case that fails its first verification, and the 2017 one.
FAILING = {2016: "T01-02", 2017: "T07-03"}
#: 2017 cases still under way at the end of June (overdue in the Q2 bulletin).
LATE_2017 = ("J02-02", "T04-05", "N02-01")

@attrs.frozen
class DemoStep:
    """One step of the demo: what was done, how many times, and what to notice.

    ``name`` and ``note`` are English; ``zh`` and ``note_zh`` say the same in
    Chinese, with names beside codes.
    """

    name: str
    count: int
    note: str = ""
    zh: str = ""
    note_zh: str = ""


@attrs.define
class DemoReport:
    """The steps of a demo run and the campaign it left."""

    campaign: Campaign
    steps: list[DemoStep] = attrs.field(factory=list)
    already_done: bool = False
    #: The issue date of the quarterly bulletin the demo prints (it covers 2017 Q2).
    bulletin_on: date = date(2017, 7, 10)
    #: The issue date of the annual bulletin for 2016.
    annual_on: date = date(2017, 1, 10)

    def step(self, name: str) -> DemoStep:
        """The step called ``name``."""
        return next(s for s in self.steps if s.name == name)


def run_demo(policy: Policy, store: LedgerStore | None = None, *,
             progress: Progress | None = None) -> DemoReport:
    """Run (or re-run, harmlessly) the two-year demonstration on ``store``."""
    population = sample_population()
    people = [*sample_people(), *SUCCESSORS]
    campaign = Campaign(policy, store, population=population, people=people)
    report = DemoReport(campaign, already_done=bool(campaign.cases()))
    run = _Run(campaign, report, people, progress or (lambda _s, _i, _n: None))
    run.year_one()
    run.year_two()
    return report


class _Run:
    def __init__(self, campaign: Campaign, report: DemoReport, people: list[Person],
                 progress: Progress) -> None:
        self.c = campaign
        self.report = report
        self.progress = progress
        self.by_role: dict[str, list[str]] = {}
        for person in people:
            for role in sorted(person.roles):
                self.by_role.setdefault(role, []).append(person.id)
        self.dept = self.by_role["org_department"][1]
        self.units = {p.id: p.unit for p in people}
        self.assessments = {(a.org, a.year): a for a in sample_assessments()}

    _SUPERVISING: ClassVar[dict[str, str]] = {
        "agency": "县直机关工委", "institution": "县直机关工委",
        "non_public": "县委两新工委", "state_enterprise": "县国资委党委"}

    def supervising(self, code: str) -> str:
        """The unit of the committee that supervises ``code`` (its township or street)."""
        org = self.c.population[code]
        chain = self.c.population.ancestors(code)
        top = chain[-1] if chain else org
        if top.kind in ("township", "street"):
            return top.name
        return self._SUPERVISING.get(org.kind, "")

    def note(self, name: str, count: int, note: str = "", zh: str = "",
             note_zh: str = "") -> None:
        self.report.steps.append(DemoStep(name, count, note, zh, note_zh))

    def each(self, label: str, cases: list[CaseRecord]) -> Iterator[CaseRecord]:
        for i, case in enumerate(cases, 1):
            self.progress(label, i, len(cases))
            yield case

    def org(self, code: str) -> str:
        """``名称（代码）`` of an organization."""
        org = self.c.population.get(code)
        return f"{org.name}（{code}）" if org else code

    def person(self, pid: str | None) -> str:
        """``姓名（编号）`` of a person."""
        person = self.c.people.get(pid) if pid else None
        return f"{person.name}（{pid}）" if person else (pid or "空缺")

    # -- year one ------------------------------------------------------------------

    def year_one(self) -> None:
        c = self.c
        result = identify(c.population, sample_assessments(), c.policy, 2016)
        opened = c.open_cases(result, actor=self.dept, on=date(2016, 2, 15),
                              command_id="demo:open:2016")
        near = len(result.near_misses())
        self.note("identify 2016", len(result.listed_codes), f"{near} near misses",
                  "2016年排查认定", f"临界对象{near}个")
        self.note("open 2016 cases", len(opened.opened) + len(opened.existing),
                  f"{len(opened.existing)} already existed" if opened.existing else "",
                  "2016年确定整顿对象")
        cases = c.cases(year=2016)
        for case in self.each("plans 2016", cases):
            self.plan(case, date(2016, 3, 1), date(2016, 7, 29))
        self.note("plans 2016", len(cases), zh="2016年报备整顿方案")
        gap_case = next(case for case in cases if case.kind == "village")
        for case in self.each("support 2016", cases):
            self.support(case, date(2016, 3, 10), skip="paired_unit" if case is gap_case else None)
        gaps = missing_support(coverage_from_campaign(c), c.policy)
        self.note("coverage check 2016", len(gaps), "; ".join(g.en for g in gaps) or "no gap",
                  "2016年包扶覆盖检查",
                  "；\n".join(f"{self.org(g.subject.split('-', 1)[1])}缺少机关单位共建帮扶"
                            for g in gaps) or "无缺配")
        for gap in gaps:
            for level in gap.facts["missing"]:
                self.assign(c.case(gap.subject), level, date(2016, 3, 20))
        fixed = missing_support(coverage_from_campaign(c), c.policy)
        self.note("coverage fixed 2016", len(gaps) - len(fixed), f"{len(fixed)} gap(s) left",
                  "2016年补齐包扶", f"尚缺{len(fixed)}处" if fixed else "已全部补齐")
        for case in self.each("monthly reports 2016", c.cases(year=2016)):
            # April and May: June's reports would be dated after the verification request
            # of mid-June, and dates run forward.
            self.monthly_reports(case, 2016, (4, 5))
        self.note("monthly reports 2016", 4 * len(cases), zh="2016年第一书记月报")
        unfinished = {f"2016-{code}" for code in CARRIED_OVER}
        failing = f"2016-{FAILING[2016]}"
        verified = 0
        for case in self.each("verification 2016", cases):
            if case.id in unfinished:
                continue
            self.resolve_and_request(case, date(2016, 6, 20), "r1")
            score, votes = (66.0, Votes(5, 3, 7)) if case.id == failing else (84.0,
                                                                              Votes(10, 4, 1))
            self.verify(case, score, votes, date(2016, 7, 1), "r1")
            verified += 1
        self.note("verifications 2016", verified, f"{failing} failed (score 66 < 70)",
                  "2016年考核验收", f"{self.org(FAILING[2016])}验收不合格\n（66分，低于70分）")
        retry = c.case(failing)
        self.resolve_and_request(retry, date(2016, 9, 1), "r2")
        self.verify(retry, 81.0, Votes(11, 3, 1), date(2016, 9, 15), "r2")
        self.note("re-rectification 2016", 1, f"{failing} passed on attempt 2",
                  "2016年重新整顿", f"{self.org(FAILING[2016])}第2次验收合格")
        for case in self.each("delisting 2016", c.cases(year=2016, state="accepted")):
            self.c.delist(case.id, actor=self.dept, on=date(2016, 10, 10),
                          command_id=f"demo:delist:{case.id}")
        self.note("delisted 2016", len(c.cases(year=2016, state="delisted")), zh="2016年销号")
        c.close_year(2016, actor=self.dept, on=date(2016, 12, 31), command_id="demo:close:2016")
        carried = [case.org for case in _unfinished(c, 2016)]
        self.note("carried over 2016", len(carried), ", ".join(f"2016-{o}" for o in carried),
                  "2016年未按期销号转入下年度", "、\n".join(self.org(o) for o in carried))

    # -- year two ------------------------------------------------------------------

    def year_two(self) -> None:
        c = self.c
        # The appraisal of 2016 is decided early in 2017: unfinished rectification.
        lagging = c.holder(CARRIED_OVER[1], on=date(2017, 1, 20)) or self.dept
        outcome = c.record_appraisal(lagging, 2016, "average", actor=self.dept,
                                     on=date(2017, 1, 20), command_id="demo:appraisal")
        self.note("appraisals 2017", 1, f"{lagging}: 2016 average → talk required: "
                  f"{outcome.talk_required}", "2016年度述职评议考核",
                  f"{self.person(lagging)}评为一般，"
                  f"{'须约谈提醒' if outcome.talk_required else '无须约谈'}；\n"
                  "2016年度考核不得评为优秀")
        result = identify(c.population, sample_assessments(), c.policy, 2017)
        c.open_cases(result, actor=self.dept, on=date(2017, 2, 15), command_id="demo:open:2017")
        repeat = sorted(set(result.listed_codes) & c.listings().get(2016, frozenset()))
        self.note("identify 2017", len(result.listed_codes), f"listed again: {', '.join(repeat)}",
                  "2017年排查认定", "连续两年被列为整顿对象：\n"
                  + "、\n".join(self.org(o) for o in repeat))
        escalated = [e for e in c.records() if type(e).__name__ == "EscalationRecorded"]
        dismissed = [e for e in c.records() if isinstance(e, SecretaryDismissed)]
        self.note("escalations 2017", len(escalated), zh="2017年问责（连续列入）")
        self.note("dismissals 2017", len(dismissed),
                  "; ".join(f"{e.person} ({e.role} of {e.org})" for e in dismissed),
                  "2017年免去书记职务",
                  "；\n".join(f"免去{self.person(e.person)}{c.population[e.org].name}书记职务"
                            for e in dismissed))
        self.appoint_successors(dismissed)
        talks = 0
        for case in _unfinished(c, 2016):
            # Early in February, after the appraisals and before the year's listing, the
            # department talks with each secretary who let a case lag (still in post then;
            # the dismissal that may follow names the same person, never a successor).
            secretary = c.holder(case.org, on=TALKS_ON)
            if secretary and secretary == c.holder(case.org, on=date(2016, 12, 31)):
                self._quiet(functools.partial(
                    c.record_talk, secretary, "admonishment", "整顿进度滞后, 未按期销号",
                    actor=self.dept, on=TALKS_ON, case=case.id,
                    command_id=f"demo:talk:{case.id}"))
                talks += 1
        self.note("talks 2017", talks, "with the secretaries of unfinished cases, on 1 February; "
                  "no promotion or awards for the rest of 2017",
                  "2017年约谈", "2月1日约谈未按期销号对象的书记，当年不得提拔重用、不得评先选优")
        cases = c.cases(year=2017)
        for case in self.each("plans and support 2017", cases):
            self.plan(case, date(2017, 3, 1), date(2017, 6, 20))
            self.support(case, date(2017, 3, 10))
        self.note("plans and support 2017", len(cases), zh="2017年方案报备和包扶")
        for case in self.each("monthly reports 2017", cases):
            # April and May: June's reports would be dated after the verification request
            # of mid-June, and dates run forward.
            self.monthly_reports(case, 2017, (4, 5))
        self.note("monthly reports 2017", 4 * len(cases), zh="2017年第一书记月报")
        late = {f"2017-{code}" for code in LATE_2017}
        failing = f"2017-{FAILING[2017]}"
        verified = [case for case in cases if case.id not in late]
        for case in self.each("verification 2017", verified):
            self.resolve_and_request(case, date(2017, 6, 1), "r1")
            score, votes = (64.0, Votes(4, 3, 8)) if case.id == failing else (86.0,
                                                                              Votes(11, 3, 1))
            self.verify(case, score, votes, date(2017, 6, 9), "r1")
        self.note("verifications 2017", len(verified),
                  f"{failing} failed (score 64 < 70, 53% dissatisfied)", "2017年考核验收",
                  f"{self.org(FAILING[2017])}验收不合格\n（64分，不满意票过半）")
        for case in self.each("delisting 2017", c.cases(year=2017, state="accepted")):
            self.c.delist(case.id, actor=self.dept, on=date(2017, 6, 16),
                          command_id=f"demo:delist:{case.id}")
        # Overdue as the bulletin counts it: every case of 2017, those continued from 2016
        # included, still open past its deadline at the end of June.
        overdue = [x for x in c.cases(open_only=True, overdue_on=date(2017, 6, 30))
                   if x.current_year == 2017]
        continued = sum(1 for x in overdue if x.year < 2017)
        self.note("delisted 2017", len(c.cases(year=2017, state="delisted")),
                  f"on 16 June; {len(overdue)} overdue at the end of June ({continued} "
                  "continued from 2016)", "2017年销号",
                  f"6月16日完成销号；\n{len(overdue)}个对象6月底逾期未完成整改"
                  f"\n（其中上年度转入{continued}个）")

    def appoint_successors(self, dismissed: list[SecretaryDismissed]) -> None:
        c = self.c
        successors = {p.unit: p.id for p in SUCCESSORS}
        appointed: list[tuple[str, str]] = []
        for event in dismissed:
            person = successors.get(c.population[event.org].name)
            if person is None or c.holder(event.org, on=APPOINTED_ON) is not None:
                continue
            c.appoint(event.org, person, actor=self.dept, on=APPOINTED_ON,
                      reason="免职后组织调整", command_id=f"demo:appoint:{event.org}")
            appointed.append((event.org, person))
        self.note("appointments 2017", len(appointed),
                  "; ".join(f"{p} secretary of {o}" for o, p in appointed),
                  "2017年组织调整",
                  "；\n".join(f"任命{self.person(p)}为{c.population[o].name}书记"
                            for o, p in appointed))

    # -- commands --------------------------------------------------------------------

    def plan(self, case: CaseRecord, on: date, deadline: date) -> None:
        assessment: Assessment | None = self.assessments.get((case.org, case.year))
        aspects = sorted(assessment.aspects.items(), key=lambda kv: kv[1])[:2] \
            if assessment and assessment.aspects else []
        chosen = [a for a, _ in aspects] or ["rules_not_kept"]
        labels = self.c.policy.aspects
        problems = [(a, f"{labels[a].zh}: 需限期整改") for a in chosen]
        secretary = self.c.holder(case.org, on=on) or self.dept
        plan = Plan(problems=problems, measures=[f"针对“{labels[a].zh}”制定整改措施"
                                                  for a in chosen],
                    responsible=[secretary], deadline=deadline)
        self._quiet(lambda: self.c.file_plan(case.id, plan, actor=self.dept, on=on,
                                             command_id=f"demo:plan:{case.id}"))

    def support(self, case: CaseRecord, on: date, skip: str | None = None) -> None:
        for level in self.c.policy.support.required.get(case.kind, ()):
            if level != skip:
                self.assign(case, level, on)

    def assign(self, case: CaseRecord, level: str, on: date) -> None:
        # The least-loaded person with the level's role, so nobody passes the load cap.
        candidates = self.by_role[_LEVEL_ROLES[level]]
        if level == "committee_supervisor":
            # The supervisor comes from the organization's own supervising committee.
            # (One with room under the load cap: continued cases keep their supporters.)
            cap = self.c.policy.coverage.max_cases_per_person
            own = [p for p in candidates if self.units.get(p) == self.supervising(case.org)
                   and self.c.load(p) < cap]
            candidates = own or candidates
        if level == "first_secretary":
            # One station per first secretary (一人驻一村): someone not stationed elsewhere.
            free = [p for p in candidates if self.c.store.load(p, level) == 0]
            candidates = free or candidates
        person = min(candidates, key=lambda p: (self.c.load(p), candidates.index(p)))
        self._quiet(lambda: self.c.assign_support(case.id, level, person, actor=self.dept,
                                                  on=on, command_id=f"demo:{level}:{case.id}"))

    def monthly_reports(self, case: CaseRecord, year: int, months: tuple[int, ...]) -> None:
        current = self.c.case(case.id)
        fs = current.holder("first_secretary")
        actor = fs or self.dept
        if not current.is_open:
            return
        for month in months:
            for kind, day in (("work_plan", 3), ("duty_ledger", 28)):
                self._quiet(functools.partial(
                    self.c.record_report, case.id, kind, f"{year}-{month:02d}", actor=actor,
                    on=date(year, month, day), command_id=f"demo:{kind}:{month}:{case.id}"))

    def resolve_and_request(self, case: CaseRecord, on: date, round_: str) -> None:
        current = self.c.case(case.id)
        fs = current.holder("first_secretary") or self.dept
        self._quiet(lambda: self.c.record_report(
            case.id, "progress", f"{on.year}-{on.month:02d}", actor=fs, on=on,
            resolved=current.problems, command_id=f"demo:resolve:{round_}:{case.id}"))
        supervisor = current.holder("committee_supervisor") or self.dept
        self._quiet(lambda: self.c.request_verification(
            case.id, actor=supervisor, on=on + timedelta(days=2),
            command_id=f"demo:request:{round_}:{case.id}"))

    def verify(self, case: CaseRecord, score: float, votes: Votes, on: date,
               round_: str) -> None:
        team = self.by_role["verifier"][:2] if round_ == "r1" else self.by_role["verifier"][2:4]
        self._quiet(lambda: self.c.record_verification(
            case.id, score, votes, team, actor=team[0], on=on,
            command_id=f"demo:verify:{round_}:{case.id}"))

    def _quiet(self, command: Callable[[], object]) -> None:
        # On a re-run the command ids are already recorded and nothing happens; a case that
        # moved on in the first run may refuse a step it no longer needs, which is fine.
        try:
            command()
        except RectifyError:
            if not self.report.already_done:
                raise


#: When the demo's department talks with the secretaries of unfinished cases.
TALKS_ON = date(2017, 2, 1)


def _unfinished(c: Campaign, year: int) -> list[CaseRecord]:
    """The cases of ``year`` not delisted when it closed: continued or carried over."""
    return [case for case in c.cases(year=year)
            if case.state == "carried_over" or (case.continued_into or 0) > year]
