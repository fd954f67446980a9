# Nynorsk, as bokmål: "29. november 2026 kl. 09.00" (Språkrådet: a full stop between hours and minutes).
DATE_FORMAT = "j. F Y"
TIME_FORMAT = "H.i"
DATETIME_FORMAT = r"j. F Y \k\l. H.i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j. F"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H.i"
FIRST_DAY_OF_WEEK = 1  # Monday
