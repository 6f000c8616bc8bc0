"""test_search: `okno search` over appeals registered by `okno submit`.

Messages go in through the real intake (MIME decoding, RFC 2231 attachment names,
receipts), then `okno search` must find them by any inflected form of their words,
with ё = е, in subjects, texts and attachment names; print the same summaries as
`okno list --json`; leave the receipts' boilerplate out of the index; and treat a query
without words as a user error. Runs on SQLite, and again on PostgreSQL as
it_search_pg (OKNO_IT_STORE=pg) when OKNO_TEST_PG_URL names a server.
"""
import json
import os
import sys
import unittest
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_submit import Okno  # noqa: E402


def letter(subject, body, msgid, attachment=None):
    m = EmailMessage()
    m["From"] = "Мария Иванова <maria@example.ru>"
    m["To"] = "support@portal.example"
    m["Subject"] = subject
    m["Date"] = "Mon, 23 Nov 2026 09:58:00 +0300"
    m["Message-ID"] = msgid
    m.set_content(body)
    if attachment:
        m.add_attachment(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
                         maintype="application", subtype="pdf", filename=attachment)
    return m.as_bytes()


class Search(unittest.TestCase):
    def setUp(self):
        self.okno = Okno(self)
        o = self.okno
        self.a = o.submit(letter("Заявление на налоговый вычет",
                                 "Прошу вернуть налог, документы приложены.", "<a@example.ru>",
                                 attachment="скан_паспорта.pdf"))
        self.b = o.submit(letter("Ёлка во дворе", "Упавшая ёлка мешает проезду машин.",
                                 "<b@example.ru>"))
        self.c = o.submit(letter("Не обновляются заявления",
                                 "Статус моих заявлений не меняется вторую неделю.", "<c@example.ru>"))
        self.d = o.submit(letter("Question", "Documents about the family subsidy, please.",
                                 "<d@example.ru>"))

    def search(self, *args):
        p = self.okno.run("search", "--config", self.okno.config, *args)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def found(self, *words):
        code, out, err = self.search("--json", *words)
        self.assertEqual(code, 0, err)
        return sorted(a["number"] for a in json.loads(out))

    def test_inflected_forms_yo_and_attachment_names_are_found(self):
        self.assertEqual(self.found("заявлений"), sorted([self.a, self.c]))
        self.assertEqual(self.found("ЗАЯВЛЕНИЕ"), sorted([self.a, self.c]))
        self.assertEqual(self.found("елки"), [self.b])
        self.assertEqual(self.found("паспорт"), [self.a])  # only in the attachment's name
        self.assertEqual(self.found("document"), [self.d])
        self.assertEqual(self.found("заявления", "вычета"), [self.a])  # words are ANDed
        self.assertEqual(self.found("справка"), [])

    def test_the_receipts_boilerplate_is_not_indexed(self):
        # every appeal got a receipt «Обращение № ... зарегистрировано»
        self.assertEqual(len(self.okno.show(self.a)["messages"]), 2)
        self.assertEqual(self.found("зарегистрировано"), [])

    def test_json_entries_are_the_list_summaries_and_limit_cuts(self):
        code, out, err = self.search("--json", "заявление")
        self.assertEqual(code, 0, err)
        listed = {a["number"]: a for a in self.okno.list()}
        got = json.loads(out)
        self.assertEqual(len(got), 2)
        for entry in got:
            self.assertEqual(entry, listed[entry["number"]])
        code, out, err = self.search("--json", "--limit", "1", "заявление")
        self.assertEqual((code, len(json.loads(out))), (0, 1), err)

    def test_text_output_is_one_line_per_appeal(self):
        code, out, err = self.search("ёлка")
        self.assertEqual(code, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith(self.b + " "), lines)
        self.assertIn("Ёлка во дворе", lines[0])

    def test_queries_without_words_are_user_errors_on_one_line(self):
        for q in ['"" * ()', "и в на", "всё ещё"]:
            code, out, err = self.search(q)
            self.assertEqual((code, out, err), (1, "", "okno: the query has no words\n"), q)
        code, out, err = self.search()
        self.assertEqual(code, 1)
        self.assertEqual(len(err.splitlines()), 1, err)
        code, out, err = self.search("--limit", "-1", "ёлка")
        self.assertEqual((code, err), (1, "okno: --limit must be positive\n"))

    def test_search_syntax_in_the_query_is_plain_text(self):
        self.assertEqual(self.found('"заявление" OR ёлка'), [])
        self.assertEqual(self.found("NEAR(ёлка", "машина)"), [])  # «near» is a word
        self.assertEqual(self.found("ёлка* -машин"), [self.b])  # - is not NOT


if __name__ == "__main__":
    unittest.main()
