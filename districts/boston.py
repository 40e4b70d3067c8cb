"""Boston's police districts and citywide units: the data the first migration loads."""

BOSTON_DISTRICTS = [
    ("A1", "Downtown"),
    ("A7", "East Boston"),
    ("A15", "Charlestown"),
    ("B2", "Roxbury"),
    ("B3", "Mattapan"),
    ("C6", "South Boston"),
    ("C11", "Dorchester"),
    ("D4", "South End"),
    ("D14", "Brighton/Allston"),
    ("E5", "West Roxbury"),
    ("E13", "Jamaica Plain"),
    ("E18", "Hyde Park"),
]

BOSTON_UNITS = [
    ("YVSF", "Youth Violence Strike Force"),
    ("SPU", "School Police Unit"),
    ("DVU", "Domestic Violence Unit"),
    ("SOU", "Street Outreach Unit"),
]
