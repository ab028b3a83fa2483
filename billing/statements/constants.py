"""Fixed facts of the statement documents (spec 9.2) and tuning knobs."""

from billing.models import OrderStatus, PaymentStatus

# 付款方 and 联系人 of every statement (spec 0.1, 9.2).
PAYER_NAME = "上海蓝云网络科技有限公司"
PAYER_CONTACT = "contactus@oe.21vianet.com"
DOCUMENT_TITLE = "AggreSmart账单"
DOCUMENT_LANGUAGE = "zh-hans"

# 销售额 counts these orders only; the lines list every order of the month.
SALES_ORDER_STATUSES = (OrderStatus.PROCESSING, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
SALES_PAYMENT_STATUS = PaymentStatus.PAID

# Number: yyyyMMdd (generation date, Asia/Shanghai) + 4-digit daily sequence.
NUMBER_FORMAT = "%Y%m%d"
NUMBER_DIGITS = 4

# Lines are inserted with bulk_create in batches of this size.
LINE_BATCH_SIZE = 1000
# 关联商品 is the order's distinct solution names joined with this separator.
PRODUCTS_SEPARATOR = "、"
PRODUCTS_MAX_LENGTH = 500

# An export of more line rows than this runs as a task (StatementExport) instead of
# streaming in the response.
EXPORT_INLINE_MAX_LINES = 20_000

# Voucher uploads: partners.uploads.check_upload, then only these kinds.
VOUCHER_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
VOUCHER_ACCEPT = ".pdf,.jpg,.jpeg,.png"
