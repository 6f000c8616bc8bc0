#!/usr/bin/env python3
"""generate.py: writes common.txt, the common passwords okno refuses (see SOURCE.md).

Every entry is a base (common words, names, keyboard walks in the Latin and Russian
layouts, the portal's own words) with a suffix people add to pass a policy, or one of
the well-known policy-passing forms in EXTRA. Run it in this directory."""
BASES = ["password", "passw0rd", "p@ssw0rd", "p@ssword", "qwerty", "qwertyuiop", "asdfgh", "zxcvbn",
         "admin", "administrator", "welcome", "letmein", "iloveyou", "monkey", "dragon", "master", "sunshine",
         "princess", "football", "baseball", "superman", "batman", "trustno1", "changeme", "secret", "root",
         "user", "test", "guest", "login", "hello", "summer", "winter", "spring", "autumn", "january", "december",
         "moscow", "russia", "rossiya", "moskva", "parol", "parol1", "privet", "lubov", "lyubov", "natasha",
         "svetlana", "tatiana", "marina", "dmitry", "sergey", "andrey", "alexander", "aleksandr", "maxim",
         "spartak", "zenit", "cska", "dinamo", "qazwsx", "1q2w3e", "1q2w3e4r", "1qaz2wsx", "zaq1xsw2", "q1w2e3r4",
         "abc", "abcd", "abcdef", "okno", "support", "portal", "gosuslugi", "company", "office", "operator",
         "server", "computer", "internet", "freedom", "shadow", "michael", "jordan", "killer", "pokemon",
         "starwars", "whatever", "nothing", "qwe", "asd", "zxc", "йцукен", "фывапр", "пароль", "привет", "любовь",
         "наташа", "москва", "россия", "солнце", "админ"]
SUFFIXES = ["", "1", "12", "123", "1234", "12345", "123456", "!", "1!", "12!", "123!", "1234!",
            "2023", "2024", "2025", "2026", "2023!", "2024!", "2025!", "2026!", "@1", "@123", "#1", "_1",
            "_123", "!1", "!123", "1@", "123@", "01", "007", "777", "666", "69", "99", "00"]
EXTRA = ["123456", "12345678", "123456789", "1234567890", "111111", "000000", "11111111", "88888888",
         "654321", "987654321", "121212", "123123", "123321", "112233", "666666", "777777", "555555", "159753",
         "147258369", "741852963", "1q2w3e4r5t", "1qaz!qaz", "!qaz2wsx", "!qaz1qaz", "1qaz@wsx", "qwerty123!",
         "qwerty!23", "qwer1234!", "asdf1234!", "zxcv1234!", "aa123456!", "abc123!@#", "qwe123!@#", "pa$$w0rd",
         "pa$$word", "p@$$w0rd", "p@55w0rd", "p4ssw0rd", "passw0rd!", "password1!", "password123!", "admin@123",
         "admin123!", "admin!123", "welcome@123", "welcome1!", "welcome123!", "changeme1!", "letmein1!",
         "iloveyou1!", "qwerty1!", "qwerty12!", "qwerty123@", "qwertyui1!", "zaq12wsx!", "zaq1@wsx", "1q2w3e4r!",
         "1q2w3e!", "q1w2e3r4!", "q1w2e3r4t5!", "summer2024!", "winter2024!", "spring2024!", "autumn2024!",
         "summer2025!", "winter2025!", "spring2025!", "autumn2025!", "summer2026!", "winter2026!", "spring2026!",
         "autumn2026!", "moscow2024!", "moscow2025!", "moscow2026!", "russia2025!", "russia2026!"]

words = {b + s for b in BASES for s in SUFFIXES} | set(EXTRA)
with open("common.txt", "w", encoding="utf-8") as f:
    f.write("# data/passwords/common.txt: passwords okno refuses whatever their classes.\n")
    f.write("# One per line, compared case-insensitively; lines starting with # are comments.\n")
    f.write("# SOURCE: written for okno (data/passwords/SOURCE.md has the generator): common\n")
    f.write("# words, names, keyboard walks (Latin and Russian layouts) and years, each with\n")
    f.write("# the digit/symbol suffixes people add to pass a policy. Not copied from any list.\n")
    for w in sorted(words):
        f.write(w + "\n")
