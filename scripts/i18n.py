"""Refresh the zh_Hans catalog and fill it from locale/pending/*.json, then compile.

Usage: .venv/bin/python scripts/i18n.py
Each JSON file maps English msgids to Chinese; several people (or helpers) can
each keep their own file. A msgid with a context (pgettext, {% translate ... context %})
is keyed as gettext stores it: "context\u0004msgid", e.g. "person\u0004Name".
The run holds a lock, so concurrent runs do not clash.
Prints msgids still without a translation.
"""

import fcntl
import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PY = sys.executable
IGNORE = ["--ignore=.venv", "--ignore=var", "--ignore=tests", "--ignore=scripts", "--ignore=bench"]


def main() -> int:
    (ROOT / "var").mkdir(exist_ok=True)
    with open(ROOT / "var" / ".i18n.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(
            [PY, "manage.py", "makemessages", "-l", "zh_Hans", "-v", "0", *IGNORE],
            cwd=ROOT,
            check=True,
        )
        translations: dict[str, str] = {}
        for path in sorted((ROOT / "locale" / "pending").glob("*.json")):
            translations.update(json.loads(path.read_text(encoding="utf-8")))
        po = polib.pofile(str(PO))
        missing = []
        for entry in po:
            key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
            if key in translations:
                if entry.msgid_plural:  # Chinese has one plural form
                    entry.msgstr_plural = {0: translations[key]}
                else:
                    entry.msgstr = translations[key]
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
            elif "fuzzy" in entry.flags or not (entry.msgstr or any(entry.msgstr_plural.values())):
                missing.append(key.replace("\x04", " | "))
        po.metadata.update({"Language": "zh_Hans", "Plural-Forms": "nplurals=1; plural=0;"})
        po.save()
        subprocess.run(
            [PY, "manage.py", "compilemessages", "-v", "0", "--ignore=.venv", "--ignore=var"],
            cwd=ROOT,
            check=True,
        )
    for msgid in missing:
        print("untranslated:", msgid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
