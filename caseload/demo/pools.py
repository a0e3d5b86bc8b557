"""The word pools the demo caseload is drawn from: names by culture, conditions, plans, notes.

Every person, number and organisation here is fictional. Phone numbers use the
555-0100..0199 range reserved for fiction; emails use example.org. Names keep
their real spelling (diacritics, apostrophes, hyphens, two-word family names)
because real caseloads have them and search, sort and export must cope.
"""

from __future__ import annotations

from caseload.enums import ContactMethod, ContactOutcome, FollowUpKind, ReferralStatus

# (key, weight, languages with weights, female given, male given, family, preferred names)
# Family names given as "m/f" pairs take the form that matches the person (Russian, Polish).
CULTURES = (
    (
        "english",
        28,
        (("en", 1.0),),
        "Mary Linda Patricia Barbara Susan Dorothy Karen Deborah Janet Shirley Brenda Kimberly Ashley Tiffany Crystal Megan",
        "James Robert William Richard Thomas Charles Donald Kenneth Gary Larry Dennis Wayne Bobby Tyrone Dustin Kyle",
        "Smith Johnson Williams Brown Jones Miller Davis Wilson Moore Taylor Anderson Jackson White Harris O'Brien O'Connor McDonald Washington Sullivan Murphy",
        {
            "Robert": "Bob",
            "William": "Bill",
            "Richard": "Rick",
            "Patricia": "Pat",
            "Deborah": "Debbie",
            "Kenneth": "Ken",
            "Dorothy": "Dot",
            "Charles": "Chuck",
            "Kimberly": "Kim",
        },
    ),
    (
        "spanish",
        20,
        (("es", 0.7), ("en", 0.3)),
        "María Guadalupe Carmen Rosa Ana Lucía Sofía Isabel Verónica Yesenia Marisol Dolores Gabriela Juana",
        "José Juan Luis Carlos Jesús Miguel Francisco Alejandro Javier Manuel Rafael Héctor Ramón Ernesto",
        "García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres Flores Rivera Gómez Díaz Peña Castillo Ortiz Morales",
        {
            "Guadalupe": "Lupe",
            "Francisco": "Paco",
            "Dolores": "Lola",
            "Jesús": "Chuy",
            "Alejandro": "Alex",
            "José": "Pepe",
        },
    ),
    (
        "vietnamese",
        7,
        (("vi", 0.7), ("en", 0.3)),
        "Thị Lan|Thị Hoa|Thị Mai|Ngọc Anh|Thu Trang|Thị Hương|Kim Chi|Bích Ngọc",
        "Văn Minh|Văn Hùng|Quốc Bảo|Đức Anh|Văn Nam|Thanh Tùng|Hữu Phước|Minh Khoa",
        "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ",
        {"Thị Lan": "Lana", "Văn Minh": "Tony", "Thu Trang": "Tina", "Quốc Bảo": "Bao"},
    ),
    (
        "somali",
        5,
        (("so", 0.8), ("en", 0.2)),
        "Hodan Fadumo Amina Sahra Hawa Ifrah Ubah Nasra Deeqa Filsan",
        "Abdi Mohamed Ahmed Abdirahman Hassan Omar Yusuf Abdullahi Farah Guled",
        "Mohamed Ali Warsame Abdi Hassan Farah Jama Osman Egal Hirsi Yusuf Duale",
        {"Abdirahman": "Abdi", "Fadumo": "Fadi"},
    ),
    (
        "arabic",
        6,
        (("ar", 0.75), ("en", 0.25)),
        "Fatima Aisha Mariam Layla Noor Huda Samira Rania Yasmin Zainab",
        "Ahmed Mohammed Omar Khalid Ali Hassan Youssef Tariq Karim Ibrahim",
        "Al-Hassan El-Sayed Haddad Khoury Mansour Nasser Saleh Hamdan Abboud Al-Amin Darwish",
        {"Mohammed": "Mo", "Youssef": "Joe", "Mariam": "Mimi"},
    ),
    (
        "haitian",
        6,
        (("ht", 0.7), ("fr", 0.1), ("en", 0.2)),
        "Marie-Claire Nadège Roseline Guerline Widline Fabiola Mirlande Junie Esther Lourdes",
        "Jean-Robert Jean-Baptiste Wilner Frantz Jacques Reginald Fritzner Ronald Pierre Stanley",
        "Jean-Baptiste Pierre Joseph Louis Charles Desir Fils-Aimé Saint-Louis Étienne Toussaint Célestin",
        {"Marie-Claire": "Claire", "Jean-Robert": "Bobby", "Guerline": "Guer"},
    ),
    (
        "polish",
        5,
        (("pl", 0.6), ("en", 0.4)),
        "Anna Małgorzata Agnieszka Krystyna Barbara Ewa Elżbieta Zofia Katarzyna Jadwiga",
        "Piotr Krzysztof Andrzej Tomasz Paweł Józef Marcin Łukasz Grzegorz Stanisław",
        "Nowak Wiśniewski/Wiśniewska Wójcik Kowalczyk Kamiński/Kamińska Lewandowski/Lewandowska Zieliński/Zielińska Szymański/Szymańska Woźniak Dąbrowski/Dąbrowska",
        {"Małgorzata": "Gosia", "Katarzyna": "Kasia", "Krzysztof": "Chris", "Grzegorz": "Greg"},
    ),
    (
        "chinese",
        7,
        (("zh", 0.7), ("en", 0.3)),
        "Xiu Ying|Mei|Li Na|Hui Min|Yan|Jing|Xiao Hong|Fang|Ling|Qing",
        "Wei|Jun|Jian Guo|Hao|Ming|Lei|Zhi Qiang|Yong|Bo|Tao",
        "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Lin Guo",
        {"Xiu Ying": "Grace", "Li Na": "Lina", "Jian Guo": "Jimmy", "Hao": "Howard", "Mei": "May"},
    ),
    (
        "yoruba",
        5,
        (("en", 0.8), ("yo", 0.2)),
        "Adebola Folasade Olufunke Titilayo Yetunde Omolara Abimbola Bukola Oluwaseun Adaeze",
        "Adewale Babatunde Olumide Oluwaseun Tunde Femi Kayode Ayodele Segun Olusegun",
        "Adeyemi Okafor Adebayo Ogunleye Oyelaran Balogun Adeleke Afolabi Okonkwo Ojo Olawale",
        {"Olufunke": "Funke", "Babatunde": "Tunde", "Oluwaseun": "Seun", "Abimbola": "Bimbo"},
    ),
    (
        "filipino",
        5,
        (("tl", 0.5), ("en", 0.5)),
        "Maria Luz|Rosalinda|Maricel|Jocelyn|Marites|Cherry|Lorna|Analyn|Rowena|Imelda",
        "Jose|Rodrigo|Ronaldo|Ramon|Efren|Noel|Arnel|Jun|Rommel|Danilo",
        "Santos|Reyes|Cruz|Bautista|Dela Cruz|Garcia|Mendoza|Ocampo|Villanueva|Del Rosario|Aquino",
        {"Maria Luz": "Luz", "Rosalinda": "Linda", "Ronaldo": "Ronnie", "Marites": "Tess"},
    ),
    (
        "russian",
        4,
        (("ru", 0.7), ("en", 0.3)),
        "Olga Natalya Svetlana Irina Tatyana Galina Lyudmila Yelena Valentina Nadezhda",
        "Sergei Vladimir Aleksandr Dmitri Nikolai Yuri Mikhail Igor Boris Viktor",
        "Ivanov/Ivanova Smirnov/Smirnova Kuznetsov/Kuznetsova Popov/Popova Volkov/Volkova Sokolov/Sokolova Morozov/Morozova Petrov/Petrova Lebedev/Lebedeva",
        {"Aleksandr": "Sasha", "Natalya": "Natasha", "Yelena": "Lena", "Dmitri": "Dima"},
    ),
)


def split_names(text: str) -> tuple[str, ...]:
    """Names with spaces inside are written with '|' between them."""
    return tuple(text.split("|") if "|" in text else text.split())


AREA_CODES = ("617", "508", "413", "781", "978", "212", "312", "404", "206", "713")
# Written the ways people write numbers; the UK-style one keeps its leading zero.
PHONE_FORMATS = (
    "({a}) 555-01{n:02d}",
    "{a}-555-01{n:02d}",
    "{a}.555.01{n:02d}",
    "+1 {a} 555 01{n:02d}",
    "0161 555 01{n:02d}",
    "555-01{n:02d}",
)
PHONE_WEIGHTS = (40, 30, 6, 8, 8, 8)

STREETS = (
    "Elm St",
    "Maple Ave",
    "Washington St",
    "River Rd",
    "Oak Terrace",
    "Main St",
    "Harbor Way",
    "Union Sq",
    "Chestnut Hill Rd",
    "Mill Pond Ln",
    "Columbia Rd",
    "Cedar Ct",
)
CITIES = ("Springfield", "Riverton", "Fairview", "Lakeside", "Greenville", "Milltown", "Bayport")

PROGRAMS = ("hypertension", "diabetes", "chf", "copd", "bh", "sud", "ckd", "prenatal")
PROGRAM_WEIGHTS = (26, 24, 12, 9, 14, 7, 6, 2)
CONDITIONS = {
    "hypertension": ("hypertension",),
    "diabetes": ("type 2 diabetes", "type 2 diabetes with neuropathy", "type 1 diabetes"),
    "chf": ("heart failure (HFrEF)", "heart failure (HFpEF)"),
    "copd": ("COPD", "COPD on home oxygen"),
    "bh": ("depression", "anxiety", "bipolar disorder", "PTSD", "schizophrenia"),
    "sud": ("opioid use disorder", "alcohol use disorder", "stimulant use disorder"),
    "ckd": ("CKD stage 3", "CKD stage 4"),
    "prenatal": ("pregnancy",),
}
EXTRA_CONDITIONS = ("obesity", "chronic pain", "asthma", "osteoarthritis", "hyperlipidemia")
SOCIAL_NEEDS = ("housing", "food", "transport", "utilities", "isolation")
PAYERS = (
    "Medicaid",
    "Medicaid MCO (Harbor Health Plan)",
    "Medicare",
    "Medicare Advantage",
    "Dual eligible",
    "Commercial",
    "Uninsured",
)
PAYER_WEIGHTS = (30, 20, 18, 10, 10, 8, 4)
HOLD_REASONS = ("inpatient stay", "traveling out of state", "asked for a pause", "in rehab")
DISCHARGE_REASONS = (
    "goals met",
    "moved out of area",
    "declined services",
    "transferred to hospice",
    "unable to reach",
)
PATIENT_NOTES = (
    "Prefers calls after 10am.",
    "Daughter helps with medications.",
    "Hard of hearing; speak slowly.",
    "Works nights; text first.",
    "Dog at home; call before visiting.",
    "Uses interpreter line for appointments.",
    "Lives on 3rd floor, no elevator.",
)

ORGANIZATIONS = (
    "Riverside Family Health",
    "Harbor Community Health Center",
    "Northgate Medical Group",
    "Fairview Primary Care",
    "Lakeside Clinic",
)
# (role, relationship to the patient, organisation pool or None)
TEAM_ROLES = {
    "PCP": ORGANIZATIONS,
    "specialist": ("Fairview Cardiology", "Lakeside Endocrinology", "Bayport Pulmonary"),
    "behavioral health": ("Harbor Behavioral Health", "Open Door Counseling"),
    "social worker": ("Springfield Community Services", "Harbor Community Health Center"),
    "pharmacist": ("Main St Pharmacy", "Riverside Family Health Pharmacy"),
}
CAREGIVER_RELATIONS = (
    "daughter, caregiver",
    "son, caregiver",
    "spouse, caregiver",
    "sister, caregiver",
    "neighbor, caregiver",
    "home health aide",
)

# The vocabularies are the domain's own (caseload.enums), in its order; only the weights are
# the demo's. Plain str values: the driver binds them without an adapter lookup.
CONTACT_METHODS = tuple(m.value for m in ContactMethod)
CONTACT_METHOD_WEIGHTS = (50, 15, 12, 8, 5, 5, 5)
CONTACT_OUTCOMES = tuple(o.value for o in ContactOutcome)
CONTACT_OUTCOME_WEIGHTS = (58, 18, 17, 3, 4)
CONTACT_NOTES = {
    "reached": (
        "Reviewed meds; no changes.",
        "Discussed upcoming PCP appointment; ride arranged.",
        "Reports feeling better; checking BP daily.",
        "Went over low-salt diet; teach-back done.",
        "Glucose readings 140-180 this week.",
        "Food pantry visit done; SNAP application pending.",
        "Weight stable; no swelling.",
        "Missed one dose this week; pill box set up.",
        "Talked through housing application next steps.",
        "Feeling low; reminded of counseling appointment.",
    ),
    "no_answer": ("No answer.", "No answer; will try again tomorrow.", "Phone rang out."),
    "left_message": ("Left voicemail asking for a call back.", "Left message with caregiver."),
    "wrong_number": ("Number not in service; check chart for a new one.",),
    "declined": ("Said this is not a good time.", "Declined visit this week."),
}

# A discharge's own two kinds come only with a discharge (followups.transition).
FOLLOWUP_KINDS = tuple(k.value for k in FollowUpKind if not k.startswith("transition_"))
FOLLOWUP_KIND_WEIGHTS = (35, 15, 10, 10, 15, 8, 7)
FOLLOWUP_TITLES = {
    "call": ("Check-in call", "Weekly check-in", "Call about lab results", "Medication check call"),
    "visit": ("Home visit", "Home safety check", "Visit with caregiver present"),
    "med_review": (
        "Medication reconciliation",
        "Review refills with pharmacist",
        "Pill box refill",
    ),
    "screening": ("PHQ-9 screening", "A1c check", "Blood pressure check", "Fall risk screening"),
    "appointment": (
        "PCP appointment",
        "Cardiology appointment",
        "Eye exam",
        "Dental appointment",
        "Lab draw",
    ),
    "care_plan_review": ("Care plan review",),
    "other": ("Housing application deadline", "SNAP recertification", "Renew bus pass"),
}
FOLLOWUP_NOTES = (
    "Bring glucose log.",
    "Use interpreter line.",
    "Confirm ride the day before.",
    "Ask about new prescriptions.",
)
CANCEL_REASONS = ("rescheduled by clinic", "no longer needed", "duplicate")

FACILITIES = ("Mercy General Hospital", "St. Brigid Medical Center", "Fairview Regional Hospital")
ADMIT_REASONS = (
    "heart failure exacerbation",
    "COPD exacerbation",
    "pneumonia",
    "hyperglycemia",
    "fall with hip fracture",
    "chest pain, ruled out MI",
)

# problem, category, goals, interventions (responsible, text)
PLAN_TEMPLATES = {
    "diabetes": (
        "Blood sugar above goal (A1c 9.1%)",
        "medical",
        ("A1c below 8%", "Checks glucose daily and logs it"),
        (("CHW", "Review glucose log at each contact"), ("PCP", "Adjust insulin dose")),
    ),
    "hypertension": (
        "Blood pressure not controlled",
        "medical",
        ("BP under 140/90 on three readings", "Takes BP meds every day"),
        (("CHW", "Teach home BP monitoring"), ("pharmacist", "Simplify medication schedule")),
    ),
    "chf": (
        "Repeated heart failure admissions",
        "medical",
        ("No ED visits for 90 days", "Weighs daily and calls if up 3 lb"),
        (("CHW", "Teach-back on daily weights and low-salt diet"), ("PCP", "Cardiology referral")),
    ),
    "copd": (
        "Shortness of breath limits daily activity",
        "medical",
        ("Uses inhaler correctly", "Attends pulmonary rehab"),
        (("CHW", "Check inhaler technique"), ("PCP", "Refer to pulmonary rehab")),
    ),
    "bh": (
        "Depressive symptoms (PHQ-9 of 15)",
        "behavioral",
        ("PHQ-9 under 10", "Attends counseling twice a month"),
        (("behavioral health", "Weekly counseling"), ("CHW", "Reminder calls before sessions")),
    ),
    "sud": (
        "Substance use affecting health",
        "behavioral",
        ("Engaged in treatment program", "Keeps MOUD appointments"),
        (("behavioral health", "Connect to recovery coach"), ("CHW", "Ride to clinic")),
    ),
    "ckd": (
        "Kidney function declining",
        "medical",
        ("Keeps nephrology appointments", "Avoids NSAIDs"),
        (("pharmacist", "Review meds for kidney safety"), ("CHW", "Appointment reminders")),
    ),
    "prenatal": (
        "Pregnancy with limited prenatal care",
        "medical",
        ("Attends all prenatal visits",),
        (("CHW", "Schedule prenatal visits"), ("social worker", "WIC enrollment")),
    ),
    "housing": (
        "Unstable housing",
        "social",
        ("Housing application submitted", "Stable housing for 6 months"),
        (("social worker", "Referral to housing navigator"), ("CHW", "Help gather documents")),
    ),
    "food": (
        "Food insecurity",
        "social",
        ("Enrolled in SNAP", "Uses food pantry monthly"),
        (("CHW", "Help with SNAP application"), ("CHW", "Food pantry referral")),
    ),
    "transport": (
        "No reliable transport to appointments",
        "social",
        ("Rides booked for all appointments",),
        (("CHW", "Enroll in Medicaid ride benefit"),),
    ),
    "utilities": (
        "Utility shut-off notice",
        "social",
        ("Utilities kept on",),
        (("social worker", "Fuel assistance application"),),
    ),
    "isolation": (
        "Lives alone with little social contact",
        "social",
        ("Joins a community activity weekly",),
        (("CHW", "Connect to senior center"), ("caregiver", "Weekly family visit")),
    ),
}
PROGRESS_NOTES = (
    "Some progress; keep going.",
    "Barrier: cost of supplies. Looking into assistance.",
    "Patient motivated; reviewed steps.",
    "No change since last review.",
    "Goal met for this month.",
    "Setback after illness; plan restarted.",
)

REFERRALS = (
    ("Housing navigator", "Springfield Community Services", "housing search"),
    ("Food pantry", "Riverton Food Bank", "food insecurity"),
    ("Cardiology", "Fairview Cardiology", "heart failure follow-up"),
    ("Behavioral health intake", "Open Door Counseling", "depression counseling"),
    ("Diabetes education", "Lakeside Endocrinology", "diabetes self-management class"),
    ("Ride program", "Harbor Health Plan", "transport to appointments"),
    ("Pulmonary rehab", "Bayport Pulmonary", "COPD rehab"),
    ("Fuel assistance", "Springfield Community Services", "utility help"),
)
REFERRAL_STATUSES = tuple(s.value for s in ReferralStatus)
REFERRAL_WEIGHTS = (20, 20, 25, 25, 10)
