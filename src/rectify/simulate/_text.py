"""Readable Chinese and English renderings shared by the what-if modules.

Kept apart so that comparison, simulation and the report speak alike: a
reason reads "按倒序排名在比例范围内 (得分65, 在56个行政村中倒数第3, 分数线66分)"
in Chinese, with no rule identifier or fact name inside the Chinese text.  The
cut-off is 分数线 as in `rectify.identify`, and the rank counts the kind's
unit of ranking (行政村, not every village branch) when that unit is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rectify.identify import Reason
from rectify.policy import Policy

__all__ = ["kind_zh", "level_zh", "num", "reason_en", "reason_zh"]


def num(value: Any) -> str:
    """A number without trailing zeros (``65``, ``65.5``); anything else as text."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def kind_zh(policy: Policy, kind: str) -> str:
    """The Chinese label of a kind, or the identifier when the policy has none."""
    label = policy.kinds.get(kind)
    return label.zh if label else kind


def level_zh(policy: Policy, level: str) -> str:
    """The Chinese label of a support level, or the identifier when the policy has none."""
    label = policy.support.levels.get(level)
    return label.zh if label else level


def _zh_facts(facts: Mapping[str, Any], unit: str) -> list[str]:
    parts: list[str] = []
    if facts.get("score") is not None:
        parts.append(f"得分{num(facts['score'])}")
    if facts.get("rank") is not None and facts.get("kind_size") is not None:
        parts.append(f"在{facts['kind_size']}个{unit or '同类组织'}中倒数第{facts['rank']}")
    elif facts.get("kind_size") is not None:
        parts.append(f"参加排名的{unit}{facts['kind_size']}个" if unit
                     else f"同类组织{facts['kind_size']}个")
    if facts.get("quota_count") is not None:
        parts.append(f"比例名额{facts['quota_count']}个")
    if facts.get("cutoff") is not None:
        parts.append(f"分数线{num(facts['cutoff'])}分")
    margin = facts.get("margin")
    if isinstance(margin, int | float) and margin > 0:
        parts.append(f"高出分数线{num(float(margin))}分")
    if facts.get("direct_count") is not None:
        parts.append(f"直接认定{facts['direct_count']}个")
    if "value" in facts and "threshold" in facts:
        parts.append(f"实测{num(facts['value'])}, 标准{num(facts['threshold'])}")
    return parts


def reason_zh(reason: Reason, unit: str = "") -> str:
    """One reason in Chinese with its facts in words, no identifiers.

    ``unit`` names what the kind ranks (the decision's `kind_zh`, e.g. 行政村);
    without it the rank reads 在N个同类组织中.
    """
    parts = _zh_facts(reason.facts, unit)
    return f"{reason.zh} ({', '.join(parts)})" if parts else reason.zh


def reason_en(reason: Reason) -> str:
    """One reason in English: the rule id, its description and the facts."""
    return reason.render("en")
