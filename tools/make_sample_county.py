"""Generate the bundled sample county (北岭县, a fictional county) deterministically.

Writes ``organizations.csv``, ``people.csv`` and ``assessments.csv`` (2016 and
2017) to ``src/rectify/sample/data/`` or to ``--out DIR``.  Every choice comes
from one seeded random generator, so running the script again reproduces the
files byte for byte.  Usage::

    .venv/bin/python tools/make_sample_county.py [--out DIR] [--check]

The county has 228 organizations: 39 direct organizations (直属党组织) and
189 second-tier branches (二层党支部) of the six default kinds.  Scores are
planted so that, under the default policy, about twenty organizations are
listed each year, a few are graded D, one kind has a tie at its cut-off, and
some organizations are listed in both years: a direct village branch, a
community general branch and second-tier branches whose parent committees are
not listed themselves.  ``--check`` runs identification on the result and
prints the listings.
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
COUNTY = "北岭县"
COUNTY_LEVEL = "县直"
YEARS = (2016, 2017)
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "rectify" / "sample" / "data"

# (code, name, form, township, branches); a branch is a name or (name, township).
Branch = str | tuple[str, str]
Direct = tuple[str, str, OrgForm, str, Sequence[Branch]]


def _groups(village: str, count: int, extra: list[str]) -> list[Branch]:
    numerals = "一二三四五六七八九十"
    names: list[Branch] = [
        f"{village}第{numerals[n]}村民小组党支部" for n in range(count - len(extra))]
    names.extend(f"{village}{e}党支部" for e in extra)
    return names


VILLAGES: list[Direct] = [
    ("V01", "城关镇东关村党总支", OrgForm.GENERAL_BRANCH, "城关镇",
     _groups("东关村", 9, ["老党员", "蔬菜种植合作社"])),
    ("V02", "城关镇西关村党总支", OrgForm.GENERAL_BRANCH, "城关镇",
     _groups("西关村", 9, ["流动党员"])),
    ("V03", "东河镇河口村党委", OrgForm.COMMITTEE, "东河镇",
     _groups("河口村", 10, ["渔业合作社", "流动党员", "老党员"])),
    ("V04", "东河镇柳树湾村党总支", OrgForm.GENERAL_BRANCH, "东河镇",
     _groups("柳树湾村", 8, [])),
    ("V05", "西坪乡西坪村党总支", OrgForm.GENERAL_BRANCH, "西坪乡",
     _groups("西坪村", 8, ["果品合作社"])),
    ("V06", "南沟乡王家庄村党总支", OrgForm.GENERAL_BRANCH, "南沟乡",
     _groups("王家庄村", 9, ["老党员"])),
    ("V07", "北梁镇北梁村党委", OrgForm.COMMITTEE, "北梁镇",
     _groups("北梁村", 9, ["养殖合作社", "流动党员"])),
    ("V08", "石门乡石门村党总支", OrgForm.GENERAL_BRANCH, "石门乡",
     _groups("石门村", 8, [])),
    ("V09", "西坪乡杏树坪村党支部", OrgForm.BRANCH, "西坪乡", []),
    ("V10", "南沟乡马家沟村党支部", OrgForm.BRANCH, "南沟乡", []),
]

COMMUNITIES: list[Direct] = [
    ("C01", "城关镇东街社区党委", OrgForm.COMMITTEE, "城关镇",
     [f"东街社区第{n}网格党支部" for n in "一二三四"] + ["东街社区幸福家园小区党支部",
                                                    "东街社区物业服务党支部"]),
    ("C02", "城关镇西街社区党委", OrgForm.COMMITTEE, "城关镇",
     [f"西街社区第{n}网格党支部" for n in "一二三"] + ["西街社区锦绣花园小区党支部",
                                                  "西街社区退休党员党支部"]),
    ("C03", "城关镇南关社区党总支", OrgForm.GENERAL_BRANCH, "城关镇",
     [f"南关社区第{n}网格党支部" for n in "一二三"] + ["南关社区商户联合党支部",
                                                  "南关社区流动党员党支部"]),
    ("C04", "东河镇河滨社区党总支", OrgForm.GENERAL_BRANCH, "东河镇",
     [f"河滨社区第{n}网格党支部" for n in "一二三"] + ["河滨社区老党员党支部"]),
    ("C05", "北梁镇新华社区党总支", OrgForm.GENERAL_BRANCH, "北梁镇",
     [f"新华社区第{n}网格党支部" for n in "一二"] + ["新华社区阳光小区党支部",
                                                "新华社区志愿服务党支部"]),
    ("C06", "城关镇北苑社区党支部", OrgForm.BRANCH, "城关镇", []),
]


def _prefixed(prefix: str, names: list[str]) -> list[Branch]:
    return [f"{prefix}{name}党支部" for name in names]


STATE_ENTERPRISES: list[Direct] = [
    ("S01", "北岭县供电公司党委", OrgForm.COMMITTEE, COUNTY_LEVEL,
     _prefixed("县供电公司", ["营销服务中心", "运维检修", "城关供电所", "东河供电所",
                         "机关"])),
    ("S02", "北岭县水务集团党委", OrgForm.COMMITTEE, COUNTY_LEVEL,
     _prefixed("县水务集团", ["自来水厂", "污水处理厂", "工程公司", "机关"])),
    ("S03", "北岭县交通投资公司党总支", OrgForm.GENERAL_BRANCH, COUNTY_LEVEL,
     _prefixed("县交通投资公司", ["汽车客运站", "公路养护", "机关"])),
    ("S04", "北岭县粮食储备公司党总支", OrgForm.GENERAL_BRANCH, COUNTY_LEVEL,
     _prefixed("县粮食储备公司", ["城关粮库", "东河粮库", "北梁粮库", "机关"])),
]

_FIRM_WORDS = ["丰泽", "金穗", "华康", "恒通", "瑞丰", "兴旺", "天成", "福源", "顺达",
               "佳禾", "永信", "宏远", "益民", "晨光", "新裕", "正和", "嘉禾", "鑫隆",
               "长青", "润田", "安泰", "骏马", "德信", "昌盛"]
_FIRM_TRADES = ["农业科技有限公司", "机械制造有限公司", "商贸有限公司", "建筑工程有限公司",
                "纺织有限公司", "物流有限公司", "餐饮管理有限公司", "电子科技有限公司",
                "农产品加工有限公司", "汽车维修有限公司", "包装材料有限公司", "新能源有限公司"]
_TOWNSHIPS = ["城关镇", "东河镇", "西坪乡", "南沟乡", "北梁镇", "石门乡"]


def _firms(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Fictional firm branches, each with the township it sits in."""
    return [(f"{word}{rng.choice(_FIRM_TRADES)}党支部", rng.choice(_TOWNSHIPS))
            for word in rng.sample(_FIRM_WORDS, count)]


def _non_public(rng: random.Random) -> list[Direct]:
    firms = _firms(rng, 22)
    mixed: list[Branch] = list(firms[:12])
    park: list[Branch] = [name for name, _ in firms[12:]]
    return [
        ("N01", "北岭县非公有制经济组织综合党委", OrgForm.COMMITTEE, "城关镇", mixed),
        ("N02", "北岭县工业园区非公企业党委", OrgForm.COMMITTEE, "城关镇", park),
        ("N03", "北岭县宏达建材有限公司党总支", OrgForm.GENERAL_BRANCH, "东河镇",
         _prefixed("宏达建材", ["生产一车间", "生产二车间", "销售"])),
        ("N04", "北岭县绿源食品有限公司党总支", OrgForm.GENERAL_BRANCH, "北梁镇",
         _prefixed("绿源食品", ["加工车间", "冷链物流", "管理"])),
        ("N05", "北岭县个体私营企业协会党总支", OrgForm.GENERAL_BRANCH, "城关镇",
         ["个体私营企业协会城关分会党支部", "个体私营企业协会东河分会党支部"]),
        ("N06", "北岭县鑫盛物流有限公司党支部", OrgForm.BRANCH, "城关镇", []),
    ]


AGENCIES: list[Direct] = [
    ("A01", "中共北岭县委机关党委", OrgForm.COMMITTEE, COUNTY_LEVEL,
     [*_prefixed("县委", ["办公室", "组织部", "宣传部", "统战部", "政法委"]),
      "县纪委监委机关党支部"]),
    ("A02", "北岭县人民政府机关党委", OrgForm.COMMITTEE, COUNTY_LEVEL,
     _prefixed("县", ["政府办公室", "发展和改革局", "财政局", "人力资源和社会保障局",
                     "自然资源局", "住房和城乡建设局"])),
    ("A03", "北岭县农业农村局党总支", OrgForm.GENERAL_BRANCH, COUNTY_LEVEL,
     _prefixed("县农业农村局", ["机关第一", "机关第二", "离退休干部"])),
    ("A04", "北岭县公安局党委", OrgForm.COMMITTEE, COUNTY_LEVEL,
     _prefixed("县公安局", ["治安大队", "刑事侦查大队", "交通警察大队", "城关派出所"])),
    ("A05", "北岭县教育局党总支", OrgForm.GENERAL_BRANCH, COUNTY_LEVEL,
     _prefixed("县教育局", ["机关第一", "机关第二"])),
    ("A06", "北岭县市场监督管理局党总支", OrgForm.GENERAL_BRANCH, COUNTY_LEVEL,
     _prefixed("县市场监督管理局", ["机关", "城关市场监管所", "东河市场监管所"])),
    ("A07", "北岭县审计局党支部", OrgForm.BRANCH, COUNTY_LEVEL, []),
    ("A08", "北岭县统计局党支部", OrgForm.BRANCH, COUNTY_LEVEL, []),
]

INSTITUTIONS: list[Direct] = [
    ("I01", "北岭县人民医院党委", OrgForm.COMMITTEE, COUNTY_LEVEL,
     _prefixed("县人民医院", ["内科", "外科", "妇产儿科", "医技", "护理", "行政后勤",
                          "离退休"])),
    ("I02", "北岭县中医医院党总支", OrgForm.GENERAL_BRANCH, COUNTY_LEVEL,
     _prefixed("县中医医院", ["临床", "医技药剂", "行政后勤"])),
    ("I03", "北岭县第一中学党委", OrgForm.COMMITTEE, COUNTY_LEVEL,
     _prefixed("县第一中学", ["高一年级", "高二年级", "高三年级", "行政后勤", "退休教师"])),
    ("I04", "北岭县职业教育中心党总支", OrgForm.GENERAL_BRANCH, COUNTY_LEVEL,
     _prefixed("县职业教育中心", ["教师第一", "教师第二", "行政"])),
    ("I05", "北岭县中小学联合党委", OrgForm.COMMITTEE, COUNTY_LEVEL,
     [("城关第一小学党支部", "城关镇"), ("城关第二小学党支部", "城关镇"),
      ("东河中学党支部", "东河镇"), ("西坪中学党支部", "西坪乡"),
      ("南沟小学党支部", "南沟乡"), ("北梁中学党支部", "北梁镇"),
      ("石门小学党支部", "石门乡")]),
]
KINDS = ("village", "community", "state_enterprise", "non_public", "agency", "institution")

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
    (("county_leader", "org_department"), "县委组织部", 1),
    (("county_leader",), "北岭县人民政府", 2),
    (("org_department",), "县委组织部", 6),
    *[(("paired_unit",), unit, 1) for unit in (
        "县财政局", "县发展和改革局", "县农业农村局", "县自然资源局", "县住房和城乡建设局",
        "县公安局", "县司法局", "县民政局", "县水利局", "县交通运输局", "县商务局",
        "县卫生健康局")],
    *[(("committee_supervisor",), unit, 1) for unit in (
        "县直机关工委", "县委两新工委", "县国资委党委", "城关镇党委", "东河镇党委",
        "西坪乡党委", "南沟乡党委", "北梁镇党委", "石门乡党委")],
    *[(("first_secretary",), unit, 1) for unit in (
        "县委办公室", "县政府办公室", "县财政局", "县农业农村局", "县自然资源局", "县水利局",
        "县民政局", "县审计局", "县统计局", "县教育局")],
    (("verifier",), "县委督查室", 2),
    (("verifier",), "县政府督查室", 2),
    (("verifier",), "县委组织部考核办", 2),
    (("verifier",), "县人大常委会办公室", 1),
    (("verifier",), "县政协办公室", 1),
]

# Score ranges per kind: (weak low, weak high, ordinary low, ordinary high).
RANGES = {
    "village": (45.0, 67.0, 69.0, 96.0),
    "community": (50.0, 68.0, 70.0, 96.0),
    "state_enterprise": (62.0, 74.0, 76.0, 97.0),
    "non_public": (52.0, 70.0, 72.0, 95.0),
    "agency": (68.0, 79.0, 81.0, 98.0),
    "institution": (64.0, 77.0, 79.0, 97.0),
}
# Listed in both years: two village group branches and a firm branch whose parent
# committees stay off the list, a direct village branch and a community general branch.
REPEATS = ("V01-03", "V03-07", "V06-02", "V09", "C03", "N01-05")
PLANTED = {2016: REPEATS, 2017: (*REPEATS, "V06")}
NEVER_WEAK = ("V01", "V03", "N01")
GRADE_D = {(2016, "village"): 3, (2016, "non_public"): 1, (2017, "village"): 2,
           (2017, "community"): 1}
TIES = {(2016, "village"), (2017, "community")}  # one more than the quota, tied at the cut-off
FACTS: dict[tuple[int, str], dict[str, float]] = {
    (2016, "N01-05"): {"secretary_vacant_months": 2.0},
    (2017, "V06"): {"secretary_vacant_months": 4.0, "mass_incidents": 1.0},
    (2017, "V10"): {"secretary_vacant_months": 5.0},
}


def _names(rng: random.Random) -> Iterator[str]:
    seen: set[str] = set()
    while True:
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        if name not in seen:
            seen.add(name)
            yield name


def organizations(rng: random.Random) -> list[Organization]:
    """The 228 organizations, in code order, with secretaries P0001, P0002, ..."""
    orgs: list[Organization] = []
    groups = [("village", VILLAGES), ("community", COMMUNITIES),
              ("state_enterprise", STATE_ENTERPRISES), ("non_public", _non_public(rng)),
              ("agency", AGENCIES), ("institution", INSTITUTIONS)]
    for kind, directs in groups:
        for code, name, form, township, branches in directs:
            orgs.append(Organization(code, name, kind, Tier.DIRECT, form, county=COUNTY,
                                     township=township))
            for n, branch in enumerate(branches, start=1):
                bname, btown = branch if isinstance(branch, tuple) else (branch, township)
                orgs.append(Organization(f"{code}-{n:02d}", bname, kind, Tier.SECOND_TIER,
                                         OrgForm.BRANCH, parent=code, county=COUNTY,
                                         township=btown))
    orgs.sort(key=lambda o: o.code)
    return [Organization(o.code, o.name, o.kind, o.tier, o.form, o.parent, f"P{i:04d}",
                         o.county, o.township) for i, o in enumerate(orgs, start=1)]


def _person(pid: str, name: str, roles: tuple[str, ...], unit: str) -> Person:
    # Through a dict: mypy cannot type attrs' generic ``converter=frozenset`` on Person.roles.
    fields: dict[str, Any] = {"id": pid, "name": name, "roles": roles, "unit": unit}
    return Person(**fields)


def people(rng: random.Random, orgs: list[Organization]) -> list[Person]:
    """Every secretary, then the cadres that support, supervise and verify cases."""
    names = _names(rng)
    result = [_person(o.secretary or "", next(names), ("secretary",), o.name) for o in orgs]
    number = len(result)
    for roles, unit, count in CADRES:
        for _ in range(count):
            number += 1
            result.append(_person(f"P{number:04d}", next(names), roles, unit))
    return result


def _score(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 1)


def assessments(rng: random.Random, orgs: list[Organization]) -> list[Assessment]:
    """Assessments for 2016 and 2017 with planted weak organizations in every kind."""
    policy = load_policy("northern-county")
    aspects = list(policy.aspects)
    result: list[Assessment] = []
    previous: set[str] = set()
    for year in YEARS:
        weak: set[str] = set()
        totals: dict[str, float] = {}
        for kind in KINDS:
            codes = [o.code for o in orgs if o.kind == kind]
            quota = policy.identification.rounding.apply(
                policy.identification.quota[kind], len(codes))
            count = quota + ((year, kind) in TIES)
            planted = [c for c in PLANTED[year] if c in codes]
            pool = [c for c in codes
                    if c not in planted and c not in NEVER_WEAK and c not in previous]
            chosen = planted + rng.sample(pool, count - len(planted))
            rng.shuffle(chosen)
            weak_low, weak_high, low, high = RANGES[kind]
            d_count = GRADE_D.get((year, kind), 0)
            scores = sorted([_score(rng, weak_low, 59.9) for _ in range(d_count)]
                            + [_score(rng, 60.0, weak_high) for _ in range(count - d_count)])
            if (year, kind) in TIES:
                scores[-1] = scores[-2]
            totals.update(zip(chosen, scores, strict=True))
            totals.update((c, _score(rng, low, high)) for c in codes if c not in chosen)
            weak.update(chosen)
        for org in orgs:
            total = totals[org.code]
            problems = set(rng.sample(aspects, 2)) if org.code in weak else set()
            marks = {a: float(max(0, min(100, round(
                total - rng.uniform(8, 20) if a in problems else total + rng.uniform(-6, 6)))))
                for a in aspects}
            facts: dict[str, float] = {}
            if org.kind in ("village", "community"):
                span = (0.55, 0.8) if org.code in weak else (0.75, 0.98)
                facts["satisfaction"] = round(rng.uniform(*span), 2)
            facts.update(FACTS.get((year, org.code), {}))
            result.append(Assessment(org.code, year, total, policy.grade_for(total),
                                     aspects=marks, facts=facts))
        previous = weak - set(REPEATS) - {"V06"}
    return result


def generate(out: Path) -> None:
    """Write the three files of the sample county to ``out``."""
    rng = random.Random(SEED)
    orgs = organizations(rng)
    out.mkdir(parents=True, exist_ok=True)
    write_organizations(orgs, out / "organizations.csv")
    write_people(people(rng, orgs), out / "people.csv")
    write_assessments(assessments(rng, orgs), out / "assessments.csv")


def check(out: Path) -> None:
    """Print each year's listings under the default policy."""
    from rectify.identify import identify
    from rectify.inputs import load_assessments, load_organizations

    population = load_organizations(out / "organizations.csv")
    rows = load_assessments(out / "assessments.csv")
    policy = load_policy("northern-county")
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
