"""The reference data a table starts with, after the Risk-driven Tracking Database (RTD) of the Community Safety
Knowledge Alliance and Saskatchewan: its risk categories and sub-categories, protective factors, study flags, age
bands, sectors and conclusion codes. All of it is data, editable in the admin; ``reference_seed`` adds what is
missing and leaves what an administrator changed alone, so running it again (a later migration) converges.

The wording here is Handoff's own one-sentence summary of each item, not the RTD's published text.
"""

from __future__ import annotations

from django.utils.text import slugify

SECTORS = [
    "Police",
    "Education",
    "Housing",
    "Health",
    "Mental Health",
    "Addictions",
    "Social Services",
    "Youth Services",
    "Justice/Corrections",
    "Community-based organisation",
    "Municipal",
]

# label, min age, max age
AGE_BANDS = [
    ("0-5", 0, 5),
    ("6-11", 6, 11),
    ("12-15", 12, 15),
    ("16-17", 16, 17),
    ("18-24", 18, 24),
    ("25-29", 25, 29),
    ("30-39", 30, 39),
    ("40-59", 40, 59),
    ("60+", 60, None),
]


def _sub(label: str, definition: str) -> tuple[str, str]:
    return label, definition


# category: (definition, [(sub-category, definition)])
RISK_TAXONOMY: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "Alcohol": (
        "Alcohol use that puts someone at risk of harm.",
        [
            _sub("Alcohol abuse by the person", "The person's own drinking harms them or others."),
            _sub("Alcohol abuse in the home", "Someone in the person's household drinks harmfully."),
            _sub("Alcohol abuse by a family member", "A family member's drinking affects the person."),
        ],
    ),
    "Drugs": (
        "Drug use that puts someone at risk of harm.",
        [
            _sub("Drug abuse by the person", "The person's own drug use harms them or others."),
            _sub("Drug abuse in the home", "Drugs are used harmfully in the person's household."),
            _sub("Drug-related overdose", "The person has overdosed or is at risk of overdose."),
            _sub("Drug dealing", "The person or household is involved in selling drugs."),
        ],
    ),
    "Antisocial/Negative Behaviour": (
        "Conduct that harms or alarms others and draws complaints or police attention.",
        [
            _sub("Antisocial behaviour by the person", "The person's conduct disturbs or alarms others."),
            _sub("Negative behaviour at school", "Repeated disruption, suspension or exclusion at school."),
            _sub("Threatening behaviour", "The person threatens others without physical violence."),
        ],
    ),
    "Criminal Involvement": (
        "The person's involvement in crime as an offender.",
        [
            _sub("Assault", "The person is suspected of or charged with assaulting someone."),
            _sub("Theft", "The person is suspected of or charged with theft or break and enter."),
            _sub("Weapons", "The person carries or uses weapons."),
            _sub("Breach of conditions", "The person is not keeping court or release conditions."),
        ],
    ),
    "Crime Victimization": (
        "The person has been, or is at risk of being, a victim of crime.",
        [
            _sub("Assault victim", "The person has been assaulted."),
            _sub("Theft or property victim", "The person's property has been stolen or damaged."),
            _sub("Exploitation", "The person is exploited financially, sexually or for labour."),
        ],
    ),
    "Physical Violence": (
        "Physical harm done to or by the person.",
        [
            _sub("Victim of physical violence", "The person has been physically harmed by someone."),
            _sub("Perpetrator of physical violence", "The person has physically harmed someone."),
            _sub("Domestic violence", "Physical violence between partners or within the household."),
        ],
    ),
    "Emotional Violence": (
        "Psychological harm: intimidation, control, humiliation.",
        [
            _sub("Victim of emotional violence", "The person is intimidated, controlled or humiliated."),
            _sub("Perpetrator of emotional violence", "The person intimidates, controls or humiliates someone."),
        ],
    ),
    "Sexual Violence": (
        "Sexual harm done to or by the person.",
        [
            _sub("Victim of sexual violence", "The person has been sexually assaulted or abused."),
            _sub("Perpetrator of sexual violence", "The person has sexually assaulted or abused someone."),
            _sub("Sexual exploitation", "The person is exploited sexually, including trafficking."),
        ],
    ),
    "Threat to Public Health and Safety": (
        "A condition that endangers people beyond the person themselves.",
        [
            _sub("Unsafe property", "A dwelling or place is a fire, structural or sanitary hazard."),
            _sub("Communicable disease", "A risk of spreading a serious illness."),
            _sub("Animal welfare", "Animals kept in conditions that endanger them or others."),
        ],
    ),
    "Basic Needs": (
        "Food, clothing, hygiene or other necessities are not met.",
        [
            _sub("Lack of food", "The person does not have enough to eat."),
            _sub("Lack of clothing or hygiene", "The person lacks adequate clothing or means of hygiene."),
            _sub("Poverty", "Income too low to meet basic needs."),
        ],
    ),
    "Mental Health": (
        "A mental health condition, diagnosed or suspected, that affects the person's safety.",
        [
            _sub("Diagnosed mental health problem", "A diagnosed condition that is not well managed."),
            _sub("Suspected mental health problem", "Signs of an undiagnosed mental health condition."),
            _sub("Not following treatment", "The person is not taking medication or attending treatment."),
        ],
    ),
    "Cognitive Functioning": (
        "Limits in understanding or reasoning that affect the person's safety.",
        [
            _sub("Diagnosed cognitive disability", "A diagnosed intellectual or cognitive disability."),
            _sub("Suspected cognitive impairment", "Signs of an impairment not yet assessed (e.g. FASD)."),
            _sub("Dementia", "Memory loss or confusion affecting daily life."),
        ],
    ),
    "Physical Health": (
        "A physical health condition that affects the person's safety.",
        [
            _sub("Chronic disease", "A long-term illness that is not well managed."),
            _sub("Physical disability", "A disability that limits the person's ability to keep safe."),
            _sub("Not following medical treatment", "The person is not getting or following medical care."),
        ],
    ),
    "Housing": (
        "The person's housing is unsafe, unstable or missing.",
        [
            _sub("Homelessness", "The person has no fixed place to live."),
            _sub("Eviction risk", "The person is at risk of losing their home."),
            _sub("Unsafe or unsuitable housing", "The dwelling is overcrowded, unsafe or unsuitable."),
        ],
    ),
    "Negative Peers": (
        "Associates who draw the person into harm.",
        [
            _sub("Negative peer group", "The person spends time with people involved in crime or harm."),
            _sub("Negative adult influence", "An adult draws a young person into harm."),
        ],
    ),
    "Parenting": (
        "Care of a child that puts the child at risk.",
        [
            _sub("Parenting skills", "A parent lacks the skills to care for a child safely."),
            _sub("Neglect", "A child's needs are not met by their carers."),
            _sub("Parent-child conflict", "Serious, ongoing conflict between parent and child."),
        ],
    ),
    "Social Environment": (
        "The person's surroundings put them at risk.",
        [
            _sub("Isolation", "The person has no one to turn to."),
            _sub("Negative neighbourhood", "The area exposes the person to crime or violence."),
            _sub("Family conflict", "Serious conflict within the family."),
        ],
    ),
    "Gangs": (
        "Involvement with a street gang or organised group.",
        [
            _sub("Gang member", "The person belongs to a gang."),
            _sub("Gang association", "The person associates with gang members."),
            _sub("Gang recruitment", "The person is being recruited by a gang."),
        ],
    ),
    "Missing/Runaway": (
        "The person's whereabouts are unknown, or they leave home or care.",
        [
            _sub("Missing person", "The person has been reported missing."),
            _sub("Runaway", "A young person repeatedly leaves home or care."),
        ],
    ),
    "Missing School": (
        "A school-age person is not attending school.",
        [
            _sub("Truancy", "Unexcused, repeated absence from school."),
            _sub("Not enrolled", "A school-age person is not enrolled anywhere."),
        ],
    ),
    "Self Harm": (
        "The person hurts themselves on purpose, without intent to die.",
        [
            _sub("Self harm", "The person has harmed themselves."),
            _sub("Threat of self harm", "The person has threatened to harm themselves."),
        ],
    ),
    "Suicide": (
        "The person may take their own life.",
        [
            _sub("Suicidal ideation", "The person talks or thinks about ending their life."),
            _sub("Suicide attempt", "The person has recently tried to end their life."),
            _sub("Affected by suicide", "Someone close to the person died by suicide."),
        ],
    ),
    "Unemployment": (
        "Lack of work or income puts the person at risk.",
        [
            _sub("Unemployed", "The person has no work and needs it."),
            _sub("Chronic unemployment", "The person has been out of work a long time."),
        ],
    ),
    "Elderly Abuse": (
        "Harm or neglect of an older person by someone they should be able to trust.",
        [
            _sub("Financial abuse", "An older person's money or property is taken or misused."),
            _sub("Physical or emotional abuse", "An older person is hurt, threatened or intimidated."),
            _sub("Neglect of an older person", "An older person's needs are not met by their carers."),
        ],
    ),
    "Supervision": (
        "A person who needs supervision does not have enough of it.",
        [
            _sub("Child without supervision", "A child is left without adequate adult supervision."),
            _sub("Adult needing supervision", "A vulnerable adult lacks the supervision they need."),
        ],
    ),
}

PROTECTIVE_FACTORS = [
    ("Supportive family", "Family members support the person and are involved."),
    ("Positive peers", "The person has friends who are a positive influence."),
    ("Engaged in school", "The person attends school and is engaged there."),
    ("Employed", "The person has work."),
    ("Stable housing", "The person has a safe, stable place to live."),
    ("Connected to services", "The person already has a service relationship that works."),
    ("Cultural or spiritual connection", "The person draws strength from culture, faith or community."),
    ("Pro-social activities", "The person takes part in sport, arts or other positive activities."),
    ("Motivated to change", "The person wants help and to change their situation."),
]

STUDY_FLAGS = [
    ("Domestic violence", "The situation involves violence between partners or family members."),
    ("Opioids", "Opioid use is part of the situation."),
    ("Firearms", "A firearm is part of the situation."),
    ("Human trafficking", "Trafficking or sexual exploitation is suspected."),
    ("Youth transitioning from care", "A young person is leaving, or has left, state care."),
    ("Recently released from custody", "The person has recently left jail or prison."),
]

SERVICES = [
    ("Mental health services", "Assessment, counselling or treatment for mental health."),
    ("Addiction services", "Detox, treatment or harm reduction."),
    ("Housing services", "Shelter, housing search or eviction prevention."),
    ("Health services", "Primary or specialist medical care."),
    ("Child and family services", "Child protection, parenting support or family services."),
    ("Education services", "School re-engagement, attendance or special education support."),
    ("Income and employment support", "Benefits, financial help, job training or placement."),
    ("Victim services", "Advocacy and support for victims of crime."),
    ("Youth services", "Youth workers, mentoring, youth programs."),
    ("Justice services", "Probation, diversion or court-related supports."),
    ("Police", "Police follow-up or a safety plan with the police."),
    ("Community-based supports", "Community organisations, cultural or faith supports."),
]

# group, label, definition
CONCLUSION_CODES = [
    ("risk_lowered", "Connected to services", "The person accepted help and is now connected to a service."),
    ("risk_lowered", "Informed of services", "The person was told of services; risk is lowered."),
    ("risk_lowered", "Already connected", "The person was already connected to the services they need."),
    ("risk_lowered", "Other", "Risk lowered for another reason."),
    ("still_at_risk", "Refused services", "The person refused the help offered; risk remains acutely elevated."),
    ("still_at_risk", "Informed of services", "The person was told of services but risk remains acutely elevated."),
    ("still_at_risk", "Unable to locate", "The agencies could not find the person."),
    ("still_at_risk", "Transferred", "Moved to another jurisdiction or table."),
    ("still_at_risk", "Other", "Still at risk, for another reason."),
]


def code_for(label: str) -> str:
    return slugify(label.replace("/", " ").replace("+", " plus"))[:60]


def reference_seed(apps=None) -> None:
    """Create the reference rows that are missing (by code); never change or delete an existing one.

    ``apps``: a migration's historical app registry; None uses the current models.
    """
    if apps is None:
        from django.apps import apps as registry

        apps = registry

    def model(name):
        return apps.get_model("hub", name)

    def ensure(name, code, *, lookup=None, **defaults):
        return model(name).objects.get_or_create(code=code, **(lookup or {}), defaults=defaults)[0]

    for position, label in enumerate(SECTORS):
        ensure("Sector", code_for(label), label=label, position=position)
    for position, (label, youngest, oldest) in enumerate(AGE_BANDS):
        ensure("AgeBand", code_for(label), label=label, position=position, min_age=youngest, max_age=oldest)
    for position, (label, (definition, subs)) in enumerate(RISK_TAXONOMY.items()):
        category = ensure("RiskCategory", code_for(label), label=label, definition=definition, position=position)
        for sub_position, (sub_label, sub_definition) in enumerate(subs):
            ensure(
                "RiskFactor",
                code_for(sub_label),
                lookup={"category": category},
                label=sub_label,
                definition=sub_definition,
                position=sub_position,
            )
    for name, rows in (("ProtectiveFactor", PROTECTIVE_FACTORS), ("StudyFlag", STUDY_FLAGS), ("Service", SERVICES)):
        for position, (label, definition) in enumerate(rows):
            ensure(name, code_for(label), label=label, definition=definition, position=position)
    ConclusionCode = model("ConclusionCode")
    for position, (group, label, definition) in enumerate(CONCLUSION_CODES):
        ConclusionCode.objects.get_or_create(
            group=group, code=code_for(label), defaults={"label": label, "definition": definition, "position": position}
        )
