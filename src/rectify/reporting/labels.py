"""Chinese renderings of every coded value a report shows (报表中文标签).

Officials read the bulletins, exports and charts in Chinese, so every
identifier the engine keeps (a state, an event type, a rule, a support
level, a role, a reason) has a Chinese rendering here, and no English
identifier reaches Chinese text.  Identifiers stay in their own columns.

- `status_zh()`: a case state as a status an official reads
  (``supported`` → 整顿中(包扶到位), ``carried_over`` → 未按期销号转入下年度);
- `event_zh()`: an event type as a ledger entry (``CaseOpened`` → 认定为整顿对象);
- `rules_zh()`: the rules that listed an organization, from the policy's
  labels (``quota`` → 按倒序排名列入);
- `failure_reasons_zh()`: why a verification failed, from its facts;
- `person_zh()` and `org_zh()`: a name beside its id.

>>> status_zh("supported"), status_zh("verifying"), status_zh("carried_over")
('整顿中(包扶到位)', '待验收', '未按期销号转入下年度')
>>> event_zh("CaseOpened"), event_zh("SecretaryDismissed")
('认定为整顿对象', '免去书记职务')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rectify.model import Person
    from rectify.policy import Policy

__all__ = [
    "APPRAISAL_ZH",
    "EVENT_ZH",
    "FUNNEL_ZH",
    "REPORT_KIND_ZH",
    "ROLE_ZH",
    "RULE_ZH",
    "STATUS_ZH",
    "TALK_ZH",
    "aspect_zh",
    "event_zh",
    "failure_reasons_zh",
    "kind_zh",
    "level_zh",
    "org_zh",
    "person_zh",
    "rules_zh",
    "status_zh",
]

#: Case states as statuses (the workflow's own labels name the stage, not the status).
STATUS_ZH: Mapping[str, str] = {
    "identified": "已认定(待报方案)",
    "planned": "已报方案(待包扶到位)",
    "supported": "整顿中(包扶到位)",
    "verifying": "待验收",
    "accepted": "验收合格(待销号)",
    "delisted": "已销号",
    "carried_over": "未按期销号转入下年度",
}

#: Stages of the progress funnel: what a case has reached, read as a milestone.
FUNNEL_ZH: Mapping[str, str] = {
    "identified": "认定为整顿对象",
    "planned": "方案已报备",
    "supported": "包扶到位",
    "verifying": "申请验收",
    "accepted": "验收合格",
    "delisted": "已销号",
}

#: Ledger event types as the entries an official reads in the 台账.
EVENT_ZH: Mapping[str, str] = {
    "CaseOpened": "认定为整顿对象",
    "PlanFiled": "报备整顿方案",
    "PlanReturned": "退回整顿方案",
    "SupportAssigned": "明确包扶责任人",
    "SupportReleased": "解除包扶关系",
    "ReportRecorded": "报送材料",
    "VerificationRequested": "申请考核验收",
    "VerificationRecorded": "考核验收结果",
    "CaseDelisted": "销号",
    "CaseReopened": "回头看重新整顿",
    "CaseCarriedOver": "未按期销号转入下年度",
    "EscalationRecorded": "连续两年列入问责",
    "SecretaryDismissed": "免去书记职务",
    "TalkRecorded": "约谈",
    "AppraisalRecorded": "述职评议考核",
    "PolicyChanged": "调整执行政策",
    "CaseContinued": "未按期销号, 转入下年度继续整顿",
    "FindingRecorded": "发现问题",
    "ConsequenceRecorded": "问责措施",
    "PostAppointed": "组织调整: 任职",
    "PostVacated": "组织调整: 免职",
}

#: The identification rules the engine itself names (direct criteria bring
#: their Chinese labels from the policy).
RULE_ZH: Mapping[str, str] = {
    "quota": "按倒序排名列入",
    "above_cutoff": "得分高于分数线",
    "tie_break": "与分数线同分按编码未列入",
    "quota_met_by_direct": "名额已由直接认定占满",
    "no_quota": "不按比例排名",
    "small_group": "组织数不足最小规模",
    "not_ranked": "不单独参加排名",
    "carried_over": "上年度未按期销号, 转入本年度",
}

#: Roles a dismissal names.
ROLE_ZH: Mapping[str, str] = {"secretary": "书记", "parent_secretary": "上级党组织书记"}

#: Talk kinds and appraisal grades.
TALK_ZH: Mapping[str, str] = {"admonishment": "约谈", "cautionary": "诫勉谈话"}
APPRAISAL_ZH: Mapping[str, str] = {"good": "好", "fairly_good": "较好", "average": "一般",
                                   "poor": "差"}

#: Report kinds of the first secretary and of progress.
REPORT_KIND_ZH: Mapping[str, str] = {"work_plan": "月度工作计划", "duty_ledger": "月度履职台账",
                                     "progress": "整改进展报告"}


def status_zh(state: str) -> str:
    """The status label of a case state; an unknown state is returned as given."""
    return STATUS_ZH.get(state, state)


def event_zh(event_type: str) -> str:
    """The ledger entry label of an event type (its class name)."""
    return EVENT_ZH.get(event_type, event_type)


def rules_zh(rules: Iterable[str], policy: Policy) -> str:
    """The rules that listed an organization, in Chinese, joined by ``、``."""
    direct = {c.id: c.zh for c in policy.identification.direct}
    return "、".join(direct.get(r) or RULE_ZH.get(r, r) for r in rules)


def level_zh(level: str, policy: Policy) -> str:
    """The Chinese label of a support level (from the policy)."""
    label = policy.support.levels.get(level)
    return label.zh if label else level


def kind_zh(kind: str, policy: Policy) -> str:
    """The Chinese label of a kind (from the policy)."""
    label = policy.kinds.get(kind)
    return label.zh if label else kind


def aspect_zh(aspect: str, policy: Policy) -> str:
    """The Chinese label of a problem aspect (from the policy)."""
    label = policy.aspects.get(aspect)
    return label.zh if label else aspect


def failure_reasons_zh(score: float, satisfied: int, basically: int, dissatisfied: int,
                       policy: Policy) -> str:
    """Why a verification with these results fails ``policy``'s acceptance, in Chinese.

    >>> from rectify.policy import load_policy
    >>> failure_reasons_zh(64, 4, 3, 8, load_policy())
    '得分64分, 低于70分合格线; 不满意票占53%, 超过50%(一票否决)'
    """
    rules = policy.verification
    reasons: list[str] = []
    if score < rules.pass_score:
        reasons.append(f"得分{score:g}分, 低于{rules.pass_score:g}分合格线")
    total = satisfied + basically + dissatisfied
    if total:
        share = dissatisfied / total
        if share > rules.max_dissatisfied:
            reasons.append(f"不满意票占{share:.0%}, 超过{rules.max_dissatisfied:.0%}(一票否决)")
        content = (satisfied + basically) / total
        if content < rules.min_satisfied:
            reasons.append(f"满意率{content:.0%}, 低于{rules.min_satisfied:.0%}")
    return "; ".join(reasons)


def person_zh(people: Mapping[str, Person], pid: str | None, *, with_id: bool = True) -> str:
    """``姓名(编号)`` of a person, ``编号`` when unknown, ``空缺`` for nobody."""
    if not pid:
        return "空缺"
    person = people.get(pid)
    if person is None:
        return pid
    return f"{person.name}({pid})" if with_id else person.name


def org_zh(population: Any, code: str) -> str:
    """``名称(代码)`` of an organization of ``population``."""
    org = population.get(code)
    return f"{org.name}({code})" if org else code
