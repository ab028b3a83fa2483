"""Bank statement files for the tests, in the formats finance uploads."""

import io

from billing.bankfiles import ProfileSpec

GENERIC = ProfileSpec(
    columns={
        "date": ["Date"],
        "amount": ["Amount"],
        "currency": ["Currency"],
        "reference": ["Reference"],
        "payer_name": ["Payer name"],
        "payer_account": ["Payer account"],
        "transaction_id": ["Transaction ID"],
    }
)

CHINESE = ProfileSpec(
    columns={
        "date": ["交易日期"],
        "amount": ["收入金额"],
        "reference": ["摘要", "附言"],
        "payer_name": ["对方户名"],
        "payer_account": ["对方账号"],
        "transaction_id": ["流水号"],
    },
    date_format="%Y%m%d|%Y-%m-%d",
    encoding="gbk",
)

GENERIC_HEADER = "Date,Amount,Currency,Reference,Payer name,Payer account,Transaction ID"
CHINESE_HEADER = "交易日期,收入金额,支出金额,对方户名,对方账号,摘要,附言,流水号"


def generic_csv(rows: list[tuple]) -> bytes:
    lines = [GENERIC_HEADER, *(",".join(f'"{c}"' for c in row) for row in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def chinese_csv(rows: list[tuple], encoding: str = "gbk") -> bytes:
    preamble = ["账号:31001234567890,,,,,,,", "起止日期:20261201-20261203,,,,,,,"]
    lines = [*preamble, CHINESE_HEADER, *(",".join(str(c) for c in row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_file(header: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def mt940_file(lines: list[tuple[str, str, str, str]], account: str = "31001234567890") -> bytes:
    """``lines``: (yymmdd, C/D, amount with comma, :86: text)."""
    parts = [":20:STMT", f":25:{account}", ":28C:1/1", ":60F:C261201CNY0,00"]
    for n, (day, mark, amount, details) in enumerate(lines, 1):
        parts.append(f":61:{day}{day[2:]}{mark}{amount}NTRFNONREF//MT{day}{n:04d}")
        parts.append(f":86:{details}")
    parts.append(":62F:C261203CNY0,00")
    return ("\r\n".join(parts) + "\r\n").encode()
