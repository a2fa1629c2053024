"""Reading and writing the tables a county keeps: organizations, assessments, people, and the
coverage tables (units, contact points, pairings, cross-assessments).

Files are CSV, TSV, XLSX or JSON; text files UTF-8 or GB 18030/GBK (detected,
or named with ``encoding=``); headers may be Chinese, and a `ColumnMapping`
reads another system's export as it is.  See ``docs/inputs.md``.
"""

from rectify.inputs.coverage import (
    CONTACT_POINT_COLUMNS,
    CROSS_ASSESSMENT_COLUMNS,
    PAIRING_COLUMNS,
    UNIT_COLUMNS,
    load_contact_points,
    load_cross_assessments,
    load_pairings,
    load_units,
)
from rectify.inputs.mapping import ColumnMapping, load_mapping
from rectify.inputs.records import (
    ASSESSMENT_COLUMNS,
    COLUMN_NAMES_ZH,
    ORGANIZATION_COLUMNS,
    PERSON_COLUMNS,
    ROLE_LABELS,
    STANDARD_FACTS,
    YEARS,
    load_assessments,
    load_organizations,
    load_people,
    policy_facts,
    policy_roles,
    write_assessments,
    write_organizations,
    write_people,
)
from rectify.inputs.sources import find_table, load_county

__all__ = [
    "ASSESSMENT_COLUMNS",
    "COLUMN_NAMES_ZH",
    "CONTACT_POINT_COLUMNS",
    "CROSS_ASSESSMENT_COLUMNS",
    "ORGANIZATION_COLUMNS",
    "PAIRING_COLUMNS",
    "PERSON_COLUMNS",
    "ROLE_LABELS",
    "STANDARD_FACTS",
    "UNIT_COLUMNS",
    "YEARS",
    "ColumnMapping",
    "find_table",
    "load_assessments",
    "load_contact_points",
    "load_county",
    "load_cross_assessments",
    "load_mapping",
    "load_organizations",
    "load_pairings",
    "load_people",
    "load_units",
    "policy_facts",
    "policy_roles",
    "write_assessments",
    "write_organizations",
    "write_people",
]
