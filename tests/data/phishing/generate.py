"""generate.py: writes the labelled phishing corpus (*.eml and manifest.tsv) in this directory.

Every sample is invented (example domains, no real people). Run it again after changing a
sample; the output is deterministic. manifest.tsv columns: file, label (the truth:
phishing or genuine), the verdict and portal_sender okno is expected to give, a note.
Rows whose expected verdict disagrees with the label are known misses, kept on purpose
so the figures in docs/phishing.md stay honest."""
import io, os, zipfile
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
import datetime

OUT = os.path.dirname(os.path.abspath(__file__))
AR_OK = "mx.okno.test; spf=pass smtp.mailfrom=gosuslugi.ru; dkim=pass header.d=gosuslugi.ru header.s=mail2026; dmarc=pass (p=reject) header.from=gosuslugi.ru"
rows = []
n = [0]

def msg(name, label, verdict, sender, note, frm, subject, text=None, html=None, to="ivan.sidorov@mail.example",
        ar=None, return_path=None, reply_to=None, attachments=(), extra=()):
    m = EmailMessage(policy=SMTP)
    if return_path:
        m["Return-Path"] = return_path
    m["Received"] = "from relay.example (relay.example [198.51.100.7]) by mx.okno.test with ESMTPS id 4Zq%03d; Mon, 16 Nov 2026 09:%02d:11 +0300" % (n[0], n[0] % 60)
    for a in ([ar] if isinstance(ar, str) else (ar or [])):
        m["Authentication-Results"] = a
    m["From"] = frm
    m["To"] = to
    if reply_to:
        m["Reply-To"] = reply_to
    m["Subject"] = subject
    m["Date"] = format_datetime(datetime.datetime(2026, 11, 16, 9, n[0] % 60, 11, tzinfo=datetime.timezone(datetime.timedelta(hours=3))))
    m["Message-ID"] = "<%s.%d@%s>" % (name, 1000 + n[0], "mailer.example")
    for k, v in extra:
        m[k] = v
    if text is not None:
        m.set_content(text)
    if html is not None:
        if text is None:
            m.set_content(html, subtype="html")
        else:
            m.add_alternative(html, subtype="html")
    for fname, data, maintype, subtype in attachments:
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=fname)
    if m.is_multipart():
        m.set_boundary("=_okno_sample_%03d" % n[0])
    n[0] += 1
    fn = "%s.eml" % name
    with open(os.path.join(OUT, fn), "wb") as f:
        f.write(m.as_bytes())
    rows.append((fn, label, verdict, sender, note))

def zipbytes(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for nm, data in members:
            z.writestr(zipfile.ZipInfo(nm, date_time=(2026, 11, 16, 9, 0, 0)), data)
    return b.getvalue()

MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00" + b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 64 + b"PE\x00\x00\x4c\x01\x03\x00" + b"\x00" * 200
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

PORTAL = "Госуслуги <no-reply@gosuslugi.ru>"
SIGN = "\n\nС уважением,\nслужба поддержки портала Госуслуги\nhttps://www.gosuslugi.ru/help\n"

# ---------------- genuine ----------------
msg("genuine-01-fine", "genuine", "clean", "verified", "new traffic fine, verified, portal links only",
    PORTAL, "Новый штраф ГИБДД", ar=AR_OK, return_path="<bounce@mail.gosuslugi.ru>",
    text="Здравствуйте, Иван Петрович!\n\nПо вашему автомобилю выписан штраф ГИБДД на сумму 500 руб.\nПостановление № 18810177260000000001 от 12.11.2026.\n\nОплатить штраф со скидкой 50% можно в течение 20 дней:\nhttps://www.gosuslugi.ru/pay/fines\n" + SIGN)
msg("genuine-02-doctor", "genuine", "clean", "verified", "appointment confirmation, html alternative",
    PORTAL, "Вы записаны к врачу", ar=AR_OK,
    text="Вы записаны на приём к терапевту 18.11.2026 в 10:30.\nГБУЗ «Городская поликлиника № 5», кабинет 214.\nОтменить запись: https://www.gosuslugi.ru/600204/1/form\n" + SIGN,
    html="<html><body><p>Вы записаны на приём к терапевту <b>18.11.2026 в 10:30</b>.</p><p>ГБУЗ «Городская поликлиника № 5», кабинет 214.</p><p><a href=\"https://www.gosuslugi.ru/600204/1/form\">Отменить запись</a></p></body></html>")
msg("genuine-03-code", "genuine", "clean", "verified", "login code with the advice never to tell it",
    PORTAL, "Код подтверждения входа", ar=AR_OK,
    text="Код подтверждения: 482913\n\nНикому не сообщайте этот код, даже сотрудникам портала. Если вы не входили на портал, смените пароль в личном кабинете: https://lk.gosuslugi.ru/settings\n" + SIGN)
msg("genuine-04-esia-dkim", "genuine", "clean", "verified", "subdomain sender, aligned DKIM pass without DMARC result",
    "Госуслуги <esia@esia.gosuslugi.ru>", "Изменены настройки учётной записи",
    ar="mx.okno.test; spf=pass smtp.mailfrom=esia.gosuslugi.ru; dkim=pass header.d=gosuslugi.ru",
    text="В вашей учётной записи изменён номер телефона. Если это сделали не вы, обратитесь в службу поддержки: https://www.gosuslugi.ru/help/faq/login\n" + SIGN)
msg("genuine-05-tax", "genuine", "clean", "verified", "tax notification (a payment word, verified)",
    PORTAL, "Налоговое уведомление", ar=AR_OK,
    text="Вам начислен налог на имущество за 2025 год: 1 240 руб. Срок уплаты — до 1 декабря 2026 года.\nПодробнее: https://www.gosuslugi.ru/payments\n" + SIGN)
msg("genuine-06-idn-portal", "genuine", "clean", "verified", "portal's Cyrillic domain in punycode, DMARC pass",
    "Госуслуги <info@xn--c1aapkosapc.xn--p1ai>", "Статус заявления изменён",
    ar="mx.okno.test; dkim=pass header.d=xn--c1aapkosapc.xn--p1ai; dmarc=pass header.from=xn--c1aapkosapc.xn--p1ai",
    text="Заявление № 3170024 о выдаче загранпаспорта принято ведомством. Статус: https://xn--c1aapkosapc.xn--p1ai/status\n" + SIGN)
msg("genuine-07-relative", "genuine", "clean", "no", "a relative's letter mentioning the portal",
    "Анна Петрова <anna.petrova@mail.example>", "Про запись в МФЦ",
    text="Ваня, привет!\n\nЗаписалась в МФЦ на четверг, как ты советовал. Инструкция была тут: https://www.gosuslugi.ru/help\nПозвони вечером.\n\nАня\n")
msg("genuine-08-bank-news", "genuine", "clean", "no", "a shop newsletter with its own click tracker",
    "Магазин «Ромашка» <news@romashka-shop.example>", "Скидки недели",
    extra=[("List-Unsubscribe", "<https://romashka-shop.example/unsub>")],
    html="<html><body><h1>Скидки недели</h1><p>Чай и кофе со скидкой до 30%.</p><p><a href=\"https://click.romashka-shop.example/c/8841?u=2\">romashka-shop.example</a></p></body></html>")
msg("genuine-09-pdf", "genuine", "clean", "verified", "certificate as PDF attachment",
    PORTAL, "Справка о несудимости готова", ar=AR_OK,
    text="Справка об отсутствии судимости готова. Электронная версия во вложении.\nПроверить подлинность: https://www.gosuslugi.ru/check\n" + SIGN,
    attachments=[("справка.pdf", PDF, "application", "pdf")])
msg("genuine-10-confirm-in-person", "genuine", "clean", "verified", "genuine advice to confirm the account at an office",
    PORTAL, "Подтвердите учётную запись", ar=AR_OK,
    text="Чтобы получать все услуги, подтвердите учётную запись в центре обслуживания с паспортом и СНИЛС. Адреса центров: https://map.gosuslugi.ru/co\n" + SIGN)
msg("genuine-11-archive-colleague", "genuine", "clean", "no", "a colleague's photos in a zip",
    "Сергей Волков <s.volkov@work.example>", "Фото с субботника",
    text="Коллеги, фотографии с субботника в архиве.\nСергей\n",
    attachments=[("фото.zip", zipbytes([("IMG_0001.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100)]), "application", "zip")])
msg("genuine-12-forwarded-no-ar", "genuine", "clean", "unverified", "portal letter saved without authentication results",
    PORTAL, "Заявление принято",
    text="Ваше заявление о замене водительского удостоверения принято. Номер: 3170991.\nСтатус: https://www.gosuslugi.ru/notifications\n" + SIGN)
msg("genuine-13-city-shortlink", "genuine", "suspicious", "no", "KNOWN FALSE POSITIVE: a city newsletter using a link shortener",
    "Управа района <info@uprava-sever.example>", "Отключение горячей воды",
    text="Уважаемые жители! С 1 по 14 декабря будет отключена горячая вода по адресам, указанным в графике: https://clck.ru/3Fq9sZ\n\nУправа района Северный\n")

# ---------------- phishing ----------------
LINK_TXT = "Чтобы избежать блокировки, войдите в личный кабинет и подтвердите учётную запись в течение 24 часов:\n"
msg("phish-01-typo-l", "phishing", "dangerous", "unverified", "gosuslugl.ru: l for i",
    "Госуслуги <noreply@gosuslugl.ru>", "Ваша учётная запись будет заблокирована",
    ar="mx.okno.test; spf=pass smtp.mailfrom=gosuslugl.ru; dmarc=pass header.from=gosuslugl.ru",
    text="Уважаемый пользователь!\n\nМы обнаружили подозрительную активность. " + LINK_TXT + "https://gosuslugl.ru/login\n" + SIGN)
msg("phish-02-typo-i", "phishing", "dangerous", "unverified", "gosusiugi.ru: i for l",
    "Портал Госуслуг <info@gosusiugi.ru>", "Проверка данных",
    text="Здравствуйте! Для продолжения работы укажите логин и пароль на странице проверки: https://gosusiugi.ru/check\n" + SIGN)
msg("phish-03-other-tld", "phishing", "dangerous", "unverified", "gosuslugi.com with a compensation lure",
    "Госуслуги <kompensaciya@gosuslugi.com>", "Вам положена компенсация 12 800 ₽",
    html="<html><body><p>Вам положена компенсация за услуги ЖКХ в размере <b>12 800 ₽</b>.</p><p>Для получения выплаты укажите номер карты и срок действия карты:</p><p><a href=\"https://gosuslugi.com/vyplata\">Получить выплату</a></p></body></html>")
msg("phish-04-homoglyph", "phishing", "dangerous", "unverified", "Cyrillic о in the Latin name, written as punycode",
    "Госуслуги <noreply@xn--gsuslugi-nbh.ru>", "Уведомление о задолженности",
    text="У вас обнаружена задолженность. Ознакомьтесь с документом: https://xn--gsuslugi-nbh.ru/doc/77812\n" + SIGN)
msg("phish-05-subdomain-trick", "phishing", "dangerous", "unverified", "gosuslugi.ru.account-verify.example via a mass mailer",
    "Госуслуги <robot@mailer-bulk.example>", "Срочно: подтвердите данные",
    text="Срочно подтвердите данные для сохранения доступа к порталу:\nhttps://gosuslugi.ru.account-verify.example/esia/login\n" + SIGN)
msg("phish-06-hyphen-domain", "phishing", "dangerous", "unverified", "gosuslugi-ru.example asking for the password",
    "Служба поддержки <support@gosuslugi-ru.example>", "Сброс пароля",
    text="Ваш пароль устарел. Введите текущий пароль в форме ниже, чтобы продлить его действие:\nhttps://gosuslugi-ru.example/reset\n")
msg("phish-07-login-prefix", "phishing", "dangerous", "no", "login-gosuslugi.example link, card data for a payout",
    "Социальный фонд <payout@fond-vyplaty.example>", "Единовременная выплата 10 000 ₽",
    text="Вам положена единовременная выплата 10 000 ₽. Для зачисления введите номер карты и CVV:\nhttps://login-gosuslugi.example/payout\n")
msg("phish-08-dmarc-fail", "phishing", "dangerous", "unverified", "spoofed exact portal address, DMARC fail",
    PORTAL, "Штраф не оплачен", ar="mx.okno.test; spf=fail smtp.mailfrom=gosuslugi.ru; dkim=none; dmarc=fail (p=reject) header.from=gosuslugi.ru",
    return_path="<postmaster@vps-4411.example>",
    text="У вас неоплаченный штраф. Оплатите его сегодня до 18:00, иначе будет начислена пеня: https://pay-fines.example/gibdd\n" + SIGN)
msg("phish-09-double-ext", "phishing", "dangerous", "no", "постановление.pdf.exe",
    "ФССП России <uvedomlenie@fssp-notice.example>", "Постановление о взыскании",
    text="Направляем постановление о взыскании задолженности. Ознакомьтесь с документом во вложении.\n",
    attachments=[("постановление.pdf.exe", MZ, "application", "octet-stream")])
msg("phish-10-rlo", "phishing", "dangerous", "no", "RLO in the attachment name",
    "Бухгалтерия <buh@firma-schet.example>", "Квитанция об оплате",
    text="Добрый день! Квитанция во вложении.\n",
    attachments=[("Квитанция\u202excod.exe", MZ, "application", "octet-stream")])
msg("phish-11-macro", "phishing", "dangerous", "unverified", "macro document with threats",
    "Госуслуги <gosuslugi.uvedomleniya@free-mail.example>", "Судебное уведомление",
    text="В отношении вас возбуждено судебное производство. Ознакомьтесь с уведомлением во вложении в течение 24 часов и включите редактирование.\n",
    attachments=[("уведомление.docm", zipbytes([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>"), ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 60)]), "application", "vnd.ms-word.document.macroEnabled.12")])
msg("phish-12-zip-js", "phishing", "dangerous", "no", "zip with a script inside",
    "Налоговая служба <nalog@nalog-uvedomlenie.example>", "Требование об уплате налога",
    text="Требование об уплате налога во вложении. Пароль к архиву: 1234.\n",
    attachments=[("Требование.zip", zipbytes([("Требование_об_уплате.pdf.js", b"var s=new ActiveXObject('WScript.Shell');")]), "application", "zip")])
msg("phish-13-shortener-sms", "phishing", "dangerous", "unverified", "shortener and an SMS code request from free mail",
    "Госуслуги <gosuslugi.2026@free-mail.example>", "Подтверждение номера телефона",
    text="Для подтверждения номера телефона перейдите по ссылке https://bit.ly/3GsUsl2 и введите код из СМС.\n")
msg("phish-14-ip-host", "phishing", "dangerous", "no", "IP-literal link with blocking threat",
    "Администрация <admin@portal-info.example>", "Аккаунт заблокирован",
    text="Ваш аккаунт заблокирован из-за подозрительной активности. Для разблокировки введите логин и пароль: http://203.0.113.45/unlock\n")
msg("phish-15-open-redirect", "phishing", "dangerous", "unverified", "portal URL that redirects elsewhere",
    "Госуслуги <info@news-gov.example>", "Новое уведомление",
    text="У вас новое уведомление. Откройте его по ссылке:\nhttps://www.gosuslugi.ru/api/redirect?to=https%3A%2F%2Fgosuslugi-lk.example%2Fnotice\n")
msg("phish-16-userinfo", "phishing", "dangerous", "unverified", "user@host trick in the link",
    "Госуслуги <alerts@alerts-service.example>", "Требуется действие",
    text="Требуется подтвердить учётную запись. Войдите: https://www.gosuslugi.ru@secure-auth.example/login\n")
msg("phish-17-shown-text", "phishing", "dangerous", "no", "html link shows the portal, leads elsewhere",
    "Информационная рассылка <info@rassylka.example>", "Изменения в законодательстве",
    html="<html><body><p>С 1 декабря изменяются правила получения пособий.</p><p>Подробности на портале: <a href=\"https://posobie-info.example/form\">https://www.gosuslugi.ru/posobie</a></p></body></html>")
msg("phish-18-invalid-idn", "phishing", "dangerous", "no", "broken punycode sender with a password request",
    "Поддержка <help@xn--zzzz-.example>", "Проверка безопасности",
    text="Проверка безопасности: укажите пароль от почты по ссылке https://xn--zzzz-.example/verify\n")
msg("phish-19-mixed-script", "phishing", "dangerous", "no", "mixed Latin/Cyrillic bank-like domain asking for card data",
    "Банк <info@xn--sbrbank-8gg.example>", "Возврат налога",
    text="Вам полагается возврат налога 3 450 ₽. Сообщите номер карты для зачисления: https://xn--sbrbank-8gg.example/refund\n")
msg("phish-20-reply-to", "phishing", "dangerous", "unverified", "portal From without proof, answers go elsewhere",
    PORTAL, "Возврат излишне уплаченной пошлины",
    reply_to="Госуслуги <gosuslugi.vozvrat@mail-box.example>",
    text="Вам положен возврат государственной пошлины. Ответьте на это письмо и укажите номер карты и срок действия карты.\n" + SIGN)
msg("phish-21-untrusted-ar", "phishing", "dangerous", "unverified", "Authentication-Results from a foreign host claim pass",
    PORTAL, "Обновите данные",
    ar="mx.evil.example; spf=pass; dkim=pass header.d=gosuslugi.ru; dmarc=pass header.from=gosuslugi.ru",
    text="Обновите данные паспорта, иначе доступ будет ограничен. Введите логин и пароль: https://update-esia.example/\n")
msg("phish-22-return-path", "phishing", "dangerous", "no", "Return-Path lookalike behind a neutral letter",
    "Опрос <opros@opros-grazhdan.example>", "Опрос о качестве услуг",
    return_path="<bounce@gosuslugi-opros.example>",
    text="Примите участие в опросе о качестве государственных услуг: https://opros-grazhdan.example/q\n")
msg("phish-23-idn-tld", "phishing", "dangerous", "unverified", "госуслуги.рус link (the portal's Cyrillic name under another TLD)",
    "Госуслуги <robot@gosrassylka.example>", "Перерасчёт пенсии",
    text="Вам назначен перерасчёт пенсии. Подробности: https://xn--c1aapkosapc.xn--p1acf/pensiya\n")
msg("phish-24-weak", "phishing", "suspicious", "no", "weak signals only: lure and a shortener",
    "Фонд поддержки <fond@fond-pomoshch.example>", "Компенсация за коммунальные услуги",
    text="Вам доступна компенсация за коммунальные услуги. Узнать подробности: https://cutt.ly/kompensac\n")
msg("phish-26-alternative-href", "phishing", "dangerous", "unverified", "plain part shows the portal, the HTML rendering links elsewhere",
    "Госуслуги <info@uvedomleniya-portal.example>", "Новое сообщение в личном кабинете",
    text="У вас новое сообщение в личном кабинете: https://www.gosuslugi.ru/notifications\n",
    html="<html><body><p>У вас новое сообщение в личном кабинете: <a href=\"https://gosuslugi-lk.example/notifications\">https://www.gosuslugi.ru/notifications</a></p></body></html>")
msg("phish-25-vishing", "phishing", "clean", "no", "KNOWN MISS: a phone-call scam with no link, no claim, no request words",
    "Отдел проверок <proverka@otdel-proverok.example>", "Заявка на кредит",
    text="На ваше имя оформляется заявка на кредит. Если вы её не подавали, позвоните специалисту по номеру 8 800 000-00-00.\n")

with open(os.path.join(OUT, "manifest.tsv"), "w", encoding="utf-8") as f:
    f.write("# file\tlabel (truth)\texpected verdict\texpected portal_sender\tnote\n")
    for r in rows:
        f.write("\t".join(r) + "\n")
print(len(rows), "samples")
