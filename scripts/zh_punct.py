"""Full-width punctuation in Chinese text: check or fix locale/pending/*.json.

Usage: .venv/bin/python scripts/zh_punct.py [--fix] [FILE ...]
Chinese text uses ，；：？！（） — a half-width , ; : ? ! ( ) next to a Chinese character is
reported (and, with --fix, replaced). Format placeholders such as %(name)s, URLs and
times (10:30) are left alone: they never touch a Chinese character. A bracket pair is
converted as a whole when either bracket or its content touches Chinese.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CJK = "\u3400-\u9fff\u3000-\u303f\uff00-\uffef“”‘’"
HALF = re.compile(rf"(?<=[{CJK}])[,;:?!()]|[,;:?!()](?=[{CJK}])")
# A bracket pair that is not a %(name)s placeholder; its content may hold placeholders.
PAIR = re.compile(r"(?<!%)\(((?:%\([^()]*\)[sdfi]|[^()])*)\)")
FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
HAS_CJK = re.compile(rf"[{CJK}]")


def offences(text: str) -> list[str]:
    """The half-width marks next to Chinese characters, with a little context."""
    return [text[max(m.start() - 6, 0) : m.end() + 6] for m in HALF.finditer(text)]


def fix(text: str) -> str:
    def pair(m: re.Match) -> str:
        before = m.string[m.start() - 1 : m.start()] if m.start() else ""
        after = m.string[m.end() : m.end() + 1]
        if HAS_CJK.search(before + m.group(1) + after):
            return f"（{m.group(1)}）"
        return m.group(0)

    while True:  # a converted comma can make a bracket pair touch Chinese: repeat
        new = PAIR.sub(pair, text)
        new = HALF.sub(lambda m: FULL[m.group(0)] if m.group(0) in ",;:?!" else m.group(0), new)
        if new == text:
            return text
        text = new


def main(argv: list[str]) -> int:
    do_fix = "--fix" in argv
    files = [Path(a) for a in argv if a != "--fix"] or sorted(
        (ROOT / "locale" / "pending").glob("*.json")
    )
    bad = 0
    for path in files:
        raw = path.read_text(encoding="utf-8")
        data = json.loads(raw)
        indent = 2 if raw.startswith("{\n  ") else 1
        changed = False
        for msgid, value in data.items():
            new = fix(value) if do_fix else value
            if new != value:
                data[msgid] = new
                changed = True
            for hit in offences(new):
                bad += 1
                print(f"{path.name}: {msgid!r}: …{hit}…")
        if changed:
            text = json.dumps(data, ensure_ascii=False, indent=indent)
            path.write_text(text + ("\n" if raw.endswith("\n") else ""), encoding="utf-8")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
