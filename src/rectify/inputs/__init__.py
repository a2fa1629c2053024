"""Reading and writing the tables a county keeps: organizations, assessments, people, and the
coverage tables (units, contact points, pairings, cross-assessments).
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
from rectify.inputs.records import (
    ASSESSMENT_COLUMNS,
    ORGANIZATION_COLUMNS,
    PERSON_COLUMNS,
    YEARS,
    load_assessments,
    load_organizations,
    load_people,
    write_assessments,
    write_organizations,
    write_people,
)

__all__ = [
    "ASSESSMENT_COLUMNS",
    "CONTACT_POINT_COLUMNS",
    "CROSS_ASSESSMENT_COLUMNS",
    "ORGANIZATION_COLUMNS",
    "PAIRING_COLUMNS",
    "PERSON_COLUMNS",
    "UNIT_COLUMNS",
    "YEARS",
    "load_assessments",
    "load_contact_points",
    "load_cross_assessments",
    "load_organizations",
    "load_pairings",
    "load_people",
    "load_units",
    "write_assessments",
    "write_organizations",
    "write_people",
]
