#!/usr/bin/env bash
# make.sh: how the stores in this folder were made, by okno v0.1 (git tag v0.1, commit
# 6257e1e, the release of 2026-11-23, before the core issue changed the schema).
#
#   git worktree add --detach /tmp/okno-v0.1 v0.1
#   meson setup /tmp/okno-v0.1/build /tmp/okno-v0.1 --buildtype=release && ninja -C /tmp/okno-v0.1/build src/okno
#   tests/data/release-v0.1/make.sh /tmp/okno-v0.1/build/src/okno [PG_URL]
#
# Writes okno.db (SQLite) and, with PG_URL (an empty database), okno-pg.sql (pg_dump
# --no-owner of it): a department and routing rule, a staff account, three appeals
# (a support request with an attachment, a formal appeal, one answered and closed by
# status change), each registered through `okno submit` with its receipt. The texts are
# expected.json's; tests/it/test_upgrade.py migrates copies with today's okno.
set -euo pipefail
old=$1
pg=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_store() {  # $1: store url
  cat >"$work/okno.ini" <<INI
[store]
url = $1
[smtp]
addresses = support@portal.example
[outbound]
transport = maildir:$work/outbox
from = support@portal.example
[auth]
verify = 0
INI
  "$old" migrate --config "$work/okno.ini"
  "$old" department add --config "$work/okno.ini" --code housing --name "Жилищный отдел"
  "$old" route add --config "$work/okno.ini" --kind keyword --value "отопление" --department housing
  "$old" user add --config "$work/okno.ini" --login operator1 --role operator --department housing \
    --email operator1@portal.example --name "Оператор Первый" >/dev/null
  python3 - "$here/expected.json" "$work" <<'PY'
import json, sys, email.message, email.policy
exp = json.load(open(sys.argv[1]))
for i, a in enumerate(exp["appeals"]):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "%s <%s>" % (a["from_name"], a["from_email"])
    m["To"] = "support@portal.example"
    m["Subject"] = a["subject"]
    m["Message-ID"] = "<v01-%d@mail.example>" % i
    m["Date"] = "Mon, 23 Nov 2026 10:0%d:00 +0300" % i
    m.set_content(a["text"])
    if a.get("attachment"):
        m.add_attachment(a["attachment"]["text"].encode(), maintype="text", subtype="plain",
                         filename=a["attachment"]["name"])
    open("%s/m%d.eml" % (sys.argv[2], i), "wb").write(bytes(m))
PY
  local n=0
  rm -f "$work/numbers"
  for f in "$work"/m*.eml; do
    kind=$(python3 -c "import json,sys; print(json.load(open('$here/expected.json'))['appeals'][$n].get('kind','support'))")
    num=$("$old" submit --config "$work/okno.ini" --kind "$kind" --from citizen@mail.example "$f")
    echo "$num" >>"$work/numbers"
    n=$((n + 1))
  done
  # the third appeal: answered and closed
  third=$(sed -n 3p "$work/numbers")
  answer=$(python3 -c "import json; print(json.load(open('$here/expected.json'))['appeals'][2]['answer'])")
  "$old" appeal status --config "$work/okno.ini" --no-deliver --answer "$answer" "$third" answered
  "$old" appeal status --config "$work/okno.ini" --no-deliver "$third" closed
  cp "$work/numbers" "$here/numbers.txt"
}

rm -f "$here/okno.db"
make_store "sqlite:$work/okno.db"
sqlite3 "$work/okno.db" "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;" >/dev/null
cp "$work/okno.db" "$here/okno.db"
if [ -n "$pg" ]; then
  make_store "$pg"
  pg_dump --no-owner --no-privileges "$pg" >"$here/okno-pg.sql"
fi
