"""Generate the bundled sample counties deterministically.

北岭县 (the main sample, fictional) is written to ``src/rectify/sample/data/``
and 青松林区 (a forestry county in the documented mix) to
``src/rectify/sample/data/forestry/``, or both under ``--out DIR``.  Every
choice comes from one seeded random generator per county, so running the
script again reproduces the files byte for byte.  Usage::

    .venv/bin/python tools/make_sample_county.py [--out DIR] [--check]

北岭县 has 228 organizations, 39 direct organizations (直属党组织) and 189
second-tier branches (二层党支部), laid out the way a county is:

- eight township committees (乡镇党委) with 56 administrative villages under
  them, most a single branch (村党支部), four large villages a general
  branch (村党总支) with villagers'-group branches under it;
- two street committees (街道党工委) with 14 communities, two of them general
  branches with residential-compound branches;
- county agencies (机关), public institutions (事业单位), state-owned
  enterprises (国有企业) and non-public enterprises (非公企业), each under its
  committee or as a direct branch.

Secretaries are named people with their posts as units; the cadres who
support, supervise and verify cases follow.  Scores are planted so that,
under the default policy (which ranks administrative villages, not group
branches, and communities, not their compound branches), about twenty
organizations are listed each year, a few graded D, one kind tied at its
cut-off, and three organizations listed in both years: a village branch
(whose township secretary the cascade dismisses), a state-enterprise branch
and a direct agency branch.

青松林区 has the documented forestry-county mix (13 villages, 10
communities, 70 state enterprises, 15 non-public enterprises, 80 agencies,
40 institutions: 228 organizations) and lists exactly 14 of them under the
default profile.  ``--check`` runs identification on the results.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rectify.inputs import write_assessments, write_organizations, write_people
from rectify.model import Assessment, Organization, OrgForm, Person, Tier
from rectify.policy import load_policy

SEED = 20170101
FORESTRY_SEED = 20170102
COUNTY = "北岭县"
COUNTY_LEVEL = "县直"
YEARS = (2016, 2017)
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "rectify" / "sample" / "data"

_NUMERALS = "一二三四五六七八九十"

# A node of the tree: (code suffix, name, kind, form, children).
Node = tuple[str, str, str, OrgForm, Sequence["Node"]]

# Townships (乡镇) and their administrative villages; a village given as
# (name, groups) is a general branch with that many villagers'-group branches.
TOWNSHIPS: list[tuple[str, str, list[str | tuple[str, int]]]] = [
    ("T01", "东河镇", [("河口村", 4), "柳树湾村", "下河村", "渡口村", "新庄村", "白杨村",
                      "马营村"]),
    ("T02", "北梁镇", [("北梁村", 3), "后梁村", "三道沟村", "上庄村", "刘家堡村", "枣林村",
                      "庙湾村"]),
    ("T03", "石门镇", ["石门村", "峡口村", "红石村", ("石门新村", 4), "青龙村", "沙坝村",
                      "尖山村"]),
    ("T04", "南沟乡", ["王家庄村", "马家沟村", "李家湾村", "南沟村", "杏树坪村", "阳坡村",
                      "草滩村"]),
    ("T05", "西坪乡", ["西坪村", "东坪村", "果园村", "羊圈沟村", "黄土岭村", "梨树湾村",
                      "堡子村"]),
    ("T06", "马坊乡", ["马坊村", "高家庄村", "苇子沟村", "柏树村", "前进村", "五星村",
                      "中心村"]),
    ("T07", "柳林镇", [("柳林村", 4), "张家湾村", "魏家庄村", "吉祥村", "丰收村", "双庙村",
                      "河湾村"]),
    ("T08", "红崖乡", ["红崖村", "大寨村", "小寨村", "老鸦沟村", "松树坪村", "泉水村",
                      "桥头村"]),
]

# Street committees (街道党工委) and their communities; (name, compounds) marks
# a community general branch with residential-compound branches.
STREETS: list[tuple[str, str, list[str | tuple[str, list[str]]]]] = [
    ("J01", "城关街道", ["东街社区", ("西街社区", ["锦绣花园小区", "幸福家园小区"]), "南关社区",
                        "北苑社区", "文化路社区", "府前社区", "新华社区"]),
    ("J02", "北城街道", ["河滨社区", "建设路社区", ("站前社区", ["阳光小区", "铁路小区"]),
                        "工业园社区", "朝阳社区", "育才社区", "和平社区"]),
]


def _branches(prefix: str, names: Sequence[str], kind: str) -> list[Node]:
    return [(f"{n:02d}", f"{prefix}{name}党支部", kind, OrgForm.BRANCH, [])
            for n, name in enumerate(names, start=1)]


def _directs(kind: str, rows: Sequence[tuple[str, str, OrgForm, Sequence[str], str]]
             ) -> list[tuple[str, Node, str]]:
    """Direct organizations of one kind: (code, node, township) per row."""
    out = []
    for code, name, form, branches, prefix in rows:
        out.append((code, (code, name, kind, form, _branches(prefix, branches, kind)),
                    COUNTY_LEVEL))
    return out


_B, _G, _C = OrgForm.BRANCH, OrgForm.GENERAL_BRANCH, OrgForm.COMMITTEE

STATE_ENTERPRISES = [
    ("S01", "北岭县供电公司党委", _C, ["营销服务中心", "运维检修部", "城关供电所", "东河供电所",
                                   "北梁供电所", "机关"], "县供电公司"),
    ("S02", "北岭县水务集团党委", _C, ["自来水厂", "污水处理厂", "工程公司", "机关"], "县水务集团"),
    ("S03", "北岭县交通投资公司党总支", _G, ["汽车客运站", "公路养护公司", "机关"],
     "县交通投资公司"),
    ("S04", "北岭县粮食储备公司党总支", _G, ["城关粮库", "东河粮库", "北梁粮库"], "县粮食储备公司"),
]

AGENCIES = [
    ("A01", "中共北岭县委机关党委", _C, ["办公室", "组织部", "宣传部", "统战部", "政法委",
                                     "编办", "老干部局", "党校"], "县委"),
    ("A02", "北岭县人民政府机关党委", _C, ["政府办公室", "发展和改革局", "财政局",
                                       "人力资源和社会保障局", "自然资源局", "住房和城乡建设局",
                                       "交通运输局", "商务局", "卫生健康局", "应急管理局",
                                       "民政局", "司法局"], "县"),
    ("A03", "北岭县公安局党委", _C, ["治安大队", "刑事侦查大队", "交通警察大队", "城关派出所"],
     "县公安局"),
    ("A04", "北岭县人民法院党总支", _G, ["审判第一", "审判第二"], "县人民法院"),
    ("A05", "北岭县人民检察院党支部", _B, [], ""),
    ("A06", "北岭县农业农村局党总支", _G, ["机关", "农业技术推广中心"], "县农业农村局"),
    ("A07", "北岭县教育局党总支", _G, ["机关第一", "机关第二"], "县教育局"),
    ("A08", "北岭县市场监督管理局党总支", _G, ["机关", "城关市场监管所", "东河市场监管所"],
     "县市场监督管理局"),
    ("A09", "北岭县审计局党支部", _B, [], ""),
    ("A10", "北岭县统计局党支部", _B, [], ""),
    ("A11", "北岭县林业局党支部", _B, [], ""),
    ("A12", "北岭县水利局党支部", _B, [], ""),
    ("A13", "北岭县人大常委会机关党支部", _B, [], ""),
    ("A14", "北岭县政协机关党支部", _B, [], ""),
]

INSTITUTIONS = [
    ("I01", "北岭县人民医院党委", _C, ["内科", "外科", "妇产儿科", "医技", "护理", "行政后勤",
                                   "离退休"], "县人民医院"),
    ("I02", "北岭县中医医院党总支", _G, ["临床", "医技药剂", "行政后勤"], "县中医医院"),
    ("I03", "北岭县第一中学党委", _C, ["高一年级", "高二年级", "高三年级", "行政后勤",
                                   "退休教师"], "县第一中学"),
    ("I04", "北岭县职业教育中心党总支", _G, ["教师第一", "教师第二"], "县职业教育中心"),
    ("I05", "北岭县中小学联合党委", _C, ["城关第一小学", "城关第二小学", "东河中学", "北梁中学",
                                     "石门小学", "南沟小学", "西坪中学", "柳林中学"], ""),
    ("I06", "北岭县疾病预防控制中心党支部", _B, [], ""),
]

_FIRM_WORDS = ["丰泽", "金穗", "华康", "恒通", "瑞丰", "兴旺", "天成", "福源", "顺达",
               "佳禾", "永信", "宏远", "益民", "晨光", "新裕", "正和", "嘉禾", "鑫隆",
               "长青", "润田", "安泰", "骏马", "德信", "昌盛", "宏达", "绿源"]
_FIRM_TRADES = ["农业科技有限公司", "机械制造有限公司", "商贸有限公司", "建筑工程有限公司",
                "纺织有限公司", "物流有限公司", "餐饮管理有限公司", "电子科技有限公司",
                "农产品加工有限公司", "汽车维修有限公司", "包装材料有限公司", "新能源有限公司"]


def _firm_names(rng: random.Random, count: int) -> list[str]:
    return [f"{word}{rng.choice(_FIRM_TRADES)}" for word in rng.sample(_FIRM_WORDS, count)]


def organizations(rng: random.Random) -> list[Organization]:
    """北岭县's 228 organizations, in code order, with secretaries P0001, P0002, ..."""
    orgs: list[Organization] = []

    def add(code: str, name: str, kind: str, form: OrgForm, township: str,
            parent: str | None = None) -> None:
        tier = Tier.DIRECT if parent is None else Tier.SECOND_TIER
        orgs.append(Organization(code, name, kind, tier, form, parent, county=COUNTY,
                                 township=township))

    for code, town, villages in TOWNSHIPS:
        add(code, f"中共北岭县{town}委员会", "township", _C, town)
        for n, village in enumerate(villages, start=1):
            vcode = f"{code}-{n:02d}"
            if isinstance(village, tuple):
                vname, groups = village
                add(vcode, f"{town}{vname}党总支", "village", _G, town, code)
                for g in range(1, groups + 1):
                    add(f"{vcode}-{g:02d}", f"{vname}第{_NUMERALS[g - 1]}村民小组党支部",
                        "village", _B, town, vcode)
            else:
                add(vcode, f"{town}{village}党支部", "village", _B, town, code)
    for code, street, communities in STREETS:
        add(code, f"中共北岭县{street}工作委员会", "street", _C, street)
        for n, community in enumerate(communities, start=1):
            ccode = f"{code}-{n:02d}"
            if isinstance(community, tuple):
                cname, compounds = community
                add(ccode, f"{street}{cname}党总支", "community", _G, street, code)
                for g, compound in enumerate(compounds, start=1):
                    add(f"{ccode}-{g:02d}", f"{cname}{compound}党支部", "community", _B, street,
                        ccode)
            else:
                add(ccode, f"{street}{community}党支部", "community", _B, street, code)
    for kind, rows in (("state_enterprise", STATE_ENTERPRISES), ("agency", AGENCIES),
                       ("institution", INSTITUTIONS)):
        for code, name, form, branches, prefix in rows:
            add(code, name, kind, form, COUNTY_LEVEL)
            for n, branch in enumerate(branches, start=1):
                add(f"{code}-{n:02d}", f"{prefix}{branch}党支部", kind, _B, COUNTY_LEVEL, code)
    towns = [t for _, t, _ in TOWNSHIPS]
    firms = _firm_names(rng, 26)
    add("N01", "北岭县非公有制经济组织综合党委", "non_public", _C, COUNTY_LEVEL)
    for n, firm in enumerate(firms[:13], start=1):
        add(f"N01-{n:02d}", f"{firm}党支部", "non_public", _B, rng.choice(towns), "N01")
    add("N02", "北岭县工业园区非公企业党委", "non_public", _C, "东河镇")
    for n, firm in enumerate(firms[13:23], start=1):
        add(f"N02-{n:02d}", f"{firm}党支部", "non_public", _B, "东河镇", "N02")
    add("N03", "北岭县个体私营企业协会党总支", "non_public", _G, COUNTY_LEVEL)
    for n, branch in enumerate(["城关分会", "东河分会", "北梁分会"], start=1):
        add(f"N03-{n:02d}", f"个体私营企业协会{branch}党支部", "non_public", _B, COUNTY_LEVEL,
            "N03")
    for n, firm in enumerate(firms[23:25], start=4):
        add(f"N{n:02d}", f"北岭县{firm}党支部", "non_public", _B, rng.choice(towns))
    orgs.sort(key=lambda o: o.code)
    return [attrs_evolve(o, secretary=f"P{i:04d}") for i, o in enumerate(orgs, start=1)]


def attrs_evolve(org: Organization, **changes: Any) -> Organization:
    """``org`` with some fields changed."""
    import attrs

    return attrs.evolve(org, **changes)


_SURNAMES = ("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾田董袁潘"
             "蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹"
             "薛段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔汤")
_GIVEN = (
    "建国", "志强", "秀英", "海燕", "红梅", "立新", "卫东", "国庆", "春生",
    "文华", "丽娟", "永刚", "晓明", "玉兰", "德福", "桂芳", "振华", "明亮",
    "淑珍", "俊杰", "小红", "学军", "长青", "爱民", "金凤", "宏伟", "雪梅",
    "树林", "向阳", "保平", "翠花", "军", "伟", "芳", "敏", "静", "磊",
    "强", "洋", "勇", "艳", "杰", "娟", "涛", "超", "霞", "平", "刚",
    "鹏", "辉", "华", "红", "鑫", "斌", "宇", "浩", "凯", "丹", "健",
    "琳", "晶", "峰", "亮", "毅", "楠", "波", "梅", "兰", "慧", "颖",
)

# Non-secretary cadres: (roles, unit, how many).
CADRES: list[tuple[tuple[str, ...], str, int]] = [
    (("county_leader",), "中共北岭县委", 4),
    (("county_leader", "org_department"), "中共北岭县委组织部", 1),
    (("county_leader",), "北岭县人民政府", 2),
    (("org_department",), "中共北岭县委组织部", 6),
    *[(("paired_unit",), unit, 1) for unit in (
        "县财政局", "县发展和改革局", "县农业农村局", "县自然资源局", "县住房和城乡建设局",
        "县公安局", "县司法局", "县民政局", "县水利局", "县交通运输局", "县商务局",
        "县卫生健康局")],
    *[(("committee_supervisor",), unit, 1) for unit in (
        "县直机关工委", "县委两新工委", "县国资委党委", *(f"中共北岭县{t}委员会" for _, t, _ in
                                                 TOWNSHIPS),
        *(f"中共北岭县{s}工作委员会" for _, s, _ in STREETS))],
    *[(("first_secretary",), unit, 1) for unit in (
        "县委办公室", "县政府办公室", "县财政局", "县农业农村局", "县自然资源局", "县水利局",
        "县民政局", "县审计局", "县统计局", "县教育局", "县林业局", "县交通运输局")],
    (("verifier",), "县委督查室", 2),
    (("verifier",), "县政府督查室", 2),
    (("verifier",), "县委组织部考核办", 2),
    (("verifier",), "县人大常委会办公室", 1),
    (("verifier",), "县政协办公室", 1),
]


def _names(rng: random.Random) -> Iterator[str]:
    seen: set[str] = set()
    while True:
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        if name not in seen:
            seen.add(name)
            yield name


def _person(pid: str, name: str, roles: tuple[str, ...], unit: str) -> Person:
    # Through a dict: mypy cannot type attrs' generic ``converter=frozenset`` on Person.roles.
    fields: dict[str, Any] = {"id": pid, "name": name, "roles": roles, "unit": unit}
    return Person(**fields)


def people(rng: random.Random, orgs: list[Organization],
           cadres: Sequence[tuple[tuple[str, ...], str, int]] = CADRES) -> list[Person]:
    """Every secretary (unit: the organization), then the cadres with their units."""
    names = _names(rng)
    result = [_person(o.secretary or "", next(names), ("secretary",), o.name) for o in orgs]
    number = len(result)
    for roles, unit, count in cadres:
        for _ in range(count):
            number += 1
            result.append(_person(f"P{number:04d}", next(names), roles, unit))
    return result


# Score ranges per kind: (weak low, weak high, ordinary low, ordinary high).
RANGES = {
    "village": (45.0, 67.0, 69.0, 96.0),
    "community": (50.0, 68.0, 70.0, 96.0),
    "state_enterprise": (62.0, 74.0, 76.0, 97.0),
    "non_public": (52.0, 70.0, 72.0, 95.0),
    "agency": (66.0, 79.0, 81.0, 98.0),
    "institution": (64.0, 77.0, 79.0, 97.0),
    "township": (0.0, 0.0, 76.0, 95.0),
    "street": (0.0, 0.0, 76.0, 95.0),
}
# Listed in both years: a village branch under 南沟乡 (the cascade reaches the
# township secretary), a branch of the water group (its committee's secretary)
# and the statistics bureau's direct branch (its secretary only).
REPEATS = ("T04-05", "S02-03", "A10")
PLANTED = {2016: REPEATS, 2017: REPEATS}
NEVER_WEAK = ("T04-02", "S02", "T01-01", "T07-01")
GRADE_D = {(2016, "village"): 2, (2017, "village"): 1, (2017, "community"): 1}
TIES = {(2016, "village"), (2017, "community")}  # one more than the quota, tied at the cut-off
FACTS: dict[tuple[int, str], dict[str, float]] = {
    (2016, "T04-02"): {"secretary_vacant_months": 2.0},
    (2017, "T04-02"): {"secretary_vacant_months": 5.0},
    (2017, "T02-03"): {"mass_incidents": 1.0},
}
# Organizations outside the unit of ranking that score low, to show they are not ranked.
LOW_UNRANKED = {2017: ("T03-04-02",)}


def assessments(rng: random.Random, orgs: list[Organization], *,
                planted: dict[int, tuple[str, ...]] | None = None,
                never_weak: Sequence[str] = NEVER_WEAK,
                grade_d: dict[tuple[int, str], int] | None = None,
                ties: set[tuple[int, str]] | None = None,
                facts_for: dict[tuple[int, str], dict[str, float]] | None = None,
                low_unranked: dict[int, tuple[str, ...]] | None = None,
                ranges: dict[str, tuple[float, float, float, float]] | None = None
                ) -> list[Assessment]:
    """Assessments for 2016 and 2017 with planted weak organizations in every ranked kind."""
    from rectify.forest import Population
    from rectify.identify import ranked_indices

    planted = PLANTED if planted is None else planted
    grade_d = GRADE_D if grade_d is None else grade_d
    ties = TIES if ties is None else ties
    facts_for = FACTS if facts_for is None else facts_for
    low_unranked = LOW_UNRANKED if low_unranked is None else low_unranked
    ranges = RANGES if ranges is None else ranges
    policy = load_policy("northern-county")
    aspects = list(policy.aspects)
    population = Population(orgs)
    in_unit = dict(zip((o.code for o in population), ranked_indices(population, policy),
                       strict=True))
    result: list[Assessment] = []
    previous: set[str] = set()
    repeats = set(planted[YEARS[0]]) & set(planted[YEARS[1]])
    for year in YEARS:
        weak: set[str] = set()
        totals: dict[str, float] = {}
        for kind in dict.fromkeys(o.kind for o in population):
            codes = [o.code for o in population if o.kind == kind]
            ranked = [c for c in codes if in_unit[c]]
            quota = policy.identification.rounding.apply(
                policy.identification.quota[kind], len(ranked))
            weak_low, weak_high, low, high = ranges[kind]
            if quota == 0:
                totals.update((c, _score(rng, low, high)) for c in codes)
                continue
            count = quota + ((year, kind) in ties)
            chosen_planted = [c for c in planted.get(year, ()) if c in ranked]
            pool = [c for c in ranked
                    if c not in chosen_planted and c not in never_weak and c not in previous]
            chosen = chosen_planted + rng.sample(pool, count - len(chosen_planted))
            rng.shuffle(chosen)
            d_count = grade_d.get((year, kind), 0)
            scores = sorted([_score(rng, weak_low, 59.9) for _ in range(d_count)]
                            + [_score(rng, 60.0, weak_high) for _ in range(count - d_count)])
            if (year, kind) in ties:
                scores[-1] = scores[-2]
            totals.update(zip(chosen, scores, strict=True))
            totals.update((c, _score(rng, low, high)) for c in codes if c not in chosen)
            weak.update(chosen)
        for code in low_unranked.get(year, ()):
            totals[code] = _score(rng, 60.0, 64.0)
        for org in population:
            total = totals[org.code]
            problems = set(rng.sample(aspects, 2)) if org.code in weak else set()
            marks = {a: float(max(0, min(100, round(
                total - rng.uniform(8, 20) if a in problems else total + rng.uniform(-6, 6)))))
                for a in aspects}
            facts: dict[str, float] = {}
            if org.kind in ("village", "community"):
                span = (0.55, 0.8) if org.code in weak else (0.75, 0.98)
                facts["satisfaction"] = round(rng.uniform(*span), 2)
            facts.update(facts_for.get((year, org.code), {}))
            result.append(Assessment(org.code, year, total, policy.grade_for(total),
                                     aspects=marks, facts=facts))
        previous = weak - repeats
    return result


def _score(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 1)


# -- the forestry county -------------------------------------------------------------

FORESTRY = "青松林区"
# The documented mix: 13 villages, 10 communities, 70 state enterprises (the
# forestry bureau's farms and works), 15 non-public, 80 agencies, 40 institutions.
FORESTRY_MIX = {"village": 13, "community": 10, "state_enterprise": 70, "non_public": 15,
                "agency": 80, "institution": 40}
_FOREST_FARMS = ["松岭", "桦林", "青山", "鹿鸣", "白桦", "红松", "溪源", "黑河", "云杉", "岭南",
                 "北沟", "西岔", "东岗", "柞木", "椴树", "枫林", "杨木", "柳河", "榆树", "落叶松"]
_FOREST_CADRES: list[tuple[tuple[str, ...], str, int]] = [
    (("county_leader",), "中共青松林区委员会", 4),
    (("org_department",), "中共青松林区委组织部", 4),
    *[(("paired_unit",), f"林区{u}", 1) for u in ("财政局", "林业和草原局", "发展和改革局",
                                                 "民政局", "公安局", "自然资源局")],
    *[(("committee_supervisor",), u, 1) for u in ("林区直属机关工委", "林业局党委",
                                                   "林区两新工委", "林区教育党工委")],
    *[(("first_secretary",), f"林区{u}", 1) for u in ("林业和草原局", "财政局", "水利局",
                                                     "农业农村局")],
    (("verifier",), "林区督查室", 4),
]


def forestry_organizations(rng: random.Random) -> list[Organization]:
    """青松林区's 228 organizations in the documented mix, with their secretaries."""
    orgs: list[Organization] = []

    def add(code: str, name: str, kind: str, form: OrgForm, parent: str | None = None,
            township: str = "林区直属") -> None:
        tier = Tier.DIRECT if parent is None else Tier.SECOND_TIER
        orgs.append(Organization(code, name, kind, tier, form, parent, county=FORESTRY,
                                 township=township))

    # Villages and communities report straight to the district committee here.
    for n, name in enumerate(["松树屯", "桦皮沟", "二道河", "三岔口", "新兴", "永安", "太平",
                              "红旗", "曙光", "胜利", "幸福", "团结", "前进"], start=1):
        add(f"V{n:02d}", f"{name}村党支部", "village", _B, township="林区乡村")
    for n, name in enumerate(["林苑", "松江", "兴林", "青松", "林海", "育林", "护林", "绿洲",
                              "翠岭", "林城"], start=1):
        add(f"C{n:02d}", f"{name}社区党支部", "community", _B, township="林区城区")
    # State enterprises: the forestry bureau committee, its farms (each a general
    # branch with work-area branches) and a few branches of its own.
    add("S01", "青松林业局党委", "state_enterprise", _C)
    services = [f"{name}林场" for name in _FOREST_FARMS[10:]] + [
        "机关第一", "机关第二", "森林防火大队", "木材检查站", "种苗站", "森林病虫害防治站",
        "林区公路段", "离退休职工", "物资供应站"]
    for n, unit in enumerate(services, start=1):
        add(f"S01-{n:02d}", f"林业局{unit}党支部", "state_enterprise", _B, "S01")
    for n, farm in enumerate(_FOREST_FARMS[:10], start=2):
        add(f"S{n:02d}", f"青松林业局{farm}林场党总支", "state_enterprise", _G)
        for w in range(1, 5):
            add(f"S{n:02d}-{w:02d}", f"{farm}林场第{_NUMERALS[w - 1]}作业区党支部",
                "state_enterprise", _B, f"S{n:02d}")
    for n, firm in enumerate(_firm_names(rng, 15), start=1):
        add(f"N{n:02d}", f"{firm}党支部", "non_public", _B)
    add("A01", "中共青松林区直属机关工作委员会", "agency", _C)
    for n in range(1, 80):
        add(f"A01-{n:02d}", f"林区机关第{n}党支部", "agency", _B, "A01")
    add("I01", "青松林区教育党工委", "institution", _C)
    for n in range(1, 40):
        add(f"I01-{n:02d}", f"林区第{n}学校党支部", "institution", _B, "I01")
    orgs.sort(key=lambda o: o.code)
    return [attrs_evolve(o, secretary=f"P{i:04d}") for i, o in enumerate(orgs, start=1)]


def forestry_assessments(rng: random.Random, orgs: list[Organization]) -> list[Assessment]:
    """Assessments with one weak organization per quota place, no ties, no extra grade D."""
    return assessments(rng, orgs, planted={2016: (), 2017: ()}, never_weak=(),
                       grade_d={(2016, "agency"): 1, (2017, "village"): 1}, ties=set(),
                       facts_for={}, low_unranked={})


# -- writing and checking -------------------------------------------------------------


def generate(out: Path) -> None:
    """Write the three files of 北岭县 to ``out`` and of 青松林区 to ``out/forestry``."""
    rng = random.Random(SEED)
    orgs = organizations(rng)
    out.mkdir(parents=True, exist_ok=True)
    write_organizations(orgs, out / "organizations.csv")
    write_people(people(rng, orgs), out / "people.csv")
    write_assessments(assessments(rng, orgs), out / "assessments.csv")
    rng = random.Random(FORESTRY_SEED)
    forest = forestry_organizations(rng)
    sub = out / "forestry"
    sub.mkdir(parents=True, exist_ok=True)
    write_organizations(forest, sub / "organizations.csv")
    write_people(people(rng, forest, _FOREST_CADRES), sub / "people.csv")
    write_assessments(forestry_assessments(rng, forest), sub / "assessments.csv")


def check(out: Path) -> None:
    """Print each year's listings under the default policy, for both counties."""
    from collections import Counter

    from rectify.identify import identify
    from rectify.inputs import load_assessments, load_organizations

    policy = load_policy("northern-county")
    for where in (out, out / "forestry"):
        population = load_organizations(where / "organizations.csv")
        rows = load_assessments(where / "assessments.csv")
        print(where, len(population), Counter(o.tier.value for o in population),
              population.kind_sizes())
        listed = {}
        for year in YEARS:
            result = identify(population, rows, policy, year)
            listed[year] = set(result.listed_codes)
            print(year, len(listed[year]), sorted(listed[year]))
            for summary in result.kinds.values():
                print("   ", summary)
        print("both years:", sorted(listed[YEARS[0]] & listed[YEARS[1]]))


def main(argv: list[str] | None = None) -> None:
    """Command line: ``--out DIR`` (default: the package's sample directory), ``--check``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="print the listings")
    args = parser.parse_args(argv)
    generate(args.out)
    if args.check:
        check(args.out)


if __name__ == "__main__":
    main()
