#!/usr/bin/env bash
# The TUI tried the way a new user would: the real app in a real terminal (tmux),
# searching for a patient, logging a contact and quitting, each screen checked
# with capture-pane; then the CLI confirms the contact is in the store.
#
# Usage: bench/tui_tmux.sh   (from anywhere; needs tmux and the repo's .venv)
# Exits 0 when every check passes, 1 with a message and the last screen otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CASELOAD="$ROOT/.venv/bin/caseload"
PYTHON="$ROOT/.venv/bin/python"
TIMEOUT=${TUI_TMUX_TIMEOUT:-20}  # seconds to wait for each screen

tmp=$(mktemp -d)
# A private tmux server (its socket in the temp dir), so no one's sessions are touched.
T=(tmux -S "$tmp/tmux.sock")
SESSION=caseload
DB="$tmp/demo.db"
KEY="$tmp/demo.db.key"
# No personal config (idle lock, windows) may change what the screens show.
export CASELOAD_CONFIG="$tmp/config.toml"

cleanup() {
    "${T[@]}" kill-server 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

screen() { "${T[@]}" capture-pane -p -t "$SESSION" 2>/dev/null || true; }

fail() {
    echo "FAIL: $*" >&2
    echo "--- last screen ---" >&2
    screen >&2
    exit 1
}

ok() { echo "ok   $*"; }

# wait_for REGEX WHAT: poll the screen until a line matches REGEX (grep -E), or fail.
wait_for() {
    local text=$1 what=$2 deadline=$((SECONDS + TIMEOUT))
    while ((SECONDS < deadline)); do
        if screen | grep -qE -- "$text"; then
            ok "$what"
            return 0
        fi
        sleep 0.2
    done
    fail "$what: \"$text\" not on screen after ${TIMEOUT}s"
}

keys() { "${T[@]}" send-keys -t "$SESSION" "$@"; }

# --- a fresh demo store --------------------------------------------------------------

"$CASELOAD" --db "$DB" demo --patients 60 --seed 7 --no-open >/dev/null 2>&1 ||
    fail "caseload demo could not build a store in $tmp"
ok "demo store with 60 patients"

# A patient to look for: active, an ASCII family name whose first five letters
# start no other word of any patient's name, so the search shows one row.
read -r EXT PREFIX FAMILY < <(
    "$CASELOAD" --db "$DB" --key-file "$KEY" patients list --format json |
        "$PYTHON" -c '
import json, sys
rows = json.load(sys.stdin)
words = [w.lower() for p in rows
         for w in " ".join(filter(None, (p["given_name"], p["family_name"], p["preferred_name"]))).split()]
for p in rows:
    fam = p["family_name"]
    pre = fam[:5].lower()
    if p["status"] == "active" and fam.isascii() and fam.isalpha() and len(fam) >= 5 \
            and sum(w.startswith(pre) for w in words) == 1:
        print(p["external_id"], fam[:5], fam)
        break
'
) || true
[[ -n "${EXT:-}" ]] || fail "no patient with a distinctive family name in the demo store"
ok "patient $EXT ($FAMILY), searched as \"$PREFIX\""

count_contacts() {
    "$CASELOAD" --db "$DB" --key-file "$KEY" contacts list "$EXT" --format json |
        "$PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)))'
}
BEFORE=$(count_contacts)

# --- the app in tmux -----------------------------------------------------------------

"${T[@]}" new-session -d -s "$SESSION" -x 100 -y 30 \
    "'$CASELOAD' --db '$DB' --key-file '$KEY'; echo \$? > '$tmp/exit'"

wait_for "Today · " "Today is up"
wait_for "Overdue " "the due list is counted"
wait_for "Recent contacts" "recent contacts panel"

keys /
wait_for "Search name, external id or phone" "/ opens Patients with the search box"
keys -l "$PREFIX"
wait_for "^ 1 shown · " "the search narrows to one row"
screen | grep -qF "$EXT" || fail "the search for \"$PREFIX\" does not show $EXT"
ok "the row is $EXT"

keys Enter  # leaves the search box for the table
keys Enter  # opens the highlighted row
wait_for "consent call:" "the Patient screen opens"
screen | grep -qF "$EXT" || fail "the Patient screen is not for $EXT"
ok "Patient screen shows $EXT"

keys c
wait_for "Log a contact" "c opens the contact form"
wait_for "Patient .*, $EXT" "the form names the patient and $EXT"
keys C-s  # save with the defaults: phone, reached, with the patient, now
wait_for "Saved" "the contact is saved (notification)"
screen | grep -qF "Log a contact" && fail "the contact form is still open after saving"

keys 3  # the Contacts tab
TODAY=$(date +%Y-%m-%d)
wait_for "When +Method +Party +Outcome" "3 shows the Contacts tab"
# The tab reloads after the save: wait for the new row (newest first) to show.
wait_for "^ *$TODAY [0-9:]+ +phone +patient +reached" "the Contacts tab lists today's contact"

keys C-q
deadline=$((SECONDS + TIMEOUT))
while [[ ! -s "$tmp/exit" ]] && ((SECONDS < deadline)); do sleep 0.2; done
[[ -s "$tmp/exit" ]] || fail "ctrl+q did not quit within ${TIMEOUT}s"
status=$(cat "$tmp/exit")
[[ "$status" == 0 ]] || fail "the app exited with status $status"
ok "ctrl+q quits (exit 0)"

# --- the store agrees ----------------------------------------------------------------

AFTER=$(count_contacts)
((AFTER == BEFORE + 1)) || fail "contacts for $EXT: $BEFORE before, $AFTER after (expected one more)"
"$CASELOAD" --db "$DB" --key-file "$KEY" contacts list "$EXT" --format json --limit 1 |
    "$PYTHON" -c '
import json, sys
c = json.load(sys.stdin)[0]
got = (c["method"], c["party"], c["outcome"])
sys.exit(0 if got == ("phone", "patient", "reached") else f"newest contact is {got}")
' || fail "the newest contact of $EXT is not the one logged"
ok "caseload contacts list $EXT: $BEFORE -> $AFTER, newest phone/patient/reached"
echo "PASS: search, open, log a contact and quit, in tmux"
