"""Date and time formats per language (settings.FORMAT_MODULE_PATH), where Django's own differ from
the house style: Norwegian as Språkrådet writes it ("29. november 2026 kl. 09.00") for bokmål and
nynorsk, British order with a 24-hour clock for English ("29 November 2026, 09:00"), never the US
style of Django's `en` ("Nov. 29, 2026, 9 a.m."). What a module leaves out comes from Django's locale."""
