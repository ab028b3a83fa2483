"""Fill an empty, migrated PostgreSQL database with benchmark data at a chosen scale.

Scale 1 is the issue's full size: 20,000 companies (one administrator each), 100,000
end customers, 5,000 solutions with 20,000 SKUs, 1,000,000 orders over the last 24
months with ~1.4 lines each, 5,000,000 ledger entries (3 M rebate, 2 M credit) and
~300,000 statement lines of confirmed statements for the oldest months.

Every table is filled by set-based ``INSERT … SELECT`` over ``generate_series`` run
inside the server: batched inserts with no rows crossing the wire, which is faster
than COPY from a client. Rows get explicit ids (the table's max id + n) so later
tables can refer to earlier ones arithmetically; sequences are reset at the end.
The secondary indexes of the big tables are dropped while orders and ledgers load and
rebuilt before the statements are built from them (one sorted build instead of millions of incremental updates), foreign-key
triggers are off during the load (``session_replication_role = replica``) and an
anti-join check proves the keys afterwards.

The data obeys the product's invariants, so ``check_ledgers`` reports 0 mismatches:
ledger entries alternate credits and smaller debits, ``balance_after``/``used_after``
are running sums (window functions), and each balance row equals the sum of its
entries. Order amounts satisfy the order CHECK constraints (payable = goods - coupon
- rebate, credit <= payable). Company activity is skewed the way B2B sales are: the
company of an order is ``floor(N · u²)`` for uniform ``u``, so a few partners place
many orders and most place a few.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Tables whose secondary indexes are rebuilt after the load.
BIG_TABLES = (
    "billing_order",
    "billing_orderline",
    "billing_rebateentry",
    "billing_creditentry",
    "billing_statementline",
)

SOLUTION_WORDS = (
    "云桌面",
    "数据库",
    "安全网关",
    "对象存储",
    "视频会议",
    "企业邮箱",
    "CRM",
    "ERP",
    "数据分析",
    "AI 客服",
    "容器平台",
    "备份容灾",
    "CDN 加速",
    "零信任",
    "IoT 平台",
    "低代码",
)
PROVIDERS = ("微软", "华为", "蓝云", "AWS", "腾讯", "阿里云")
PLANS = ("基础版", "标准版", "专业版", "企业版")
STAFF = 20


@dataclass(frozen=True)
class Scale:
    factor: float
    companies: int
    end_customers: int
    solutions: int
    orders: int
    rebate_per_wallet: int
    credit_per_account: int
    statement_lines: int
    months: int = 24

    @classmethod
    def of(cls, factor: float) -> Scale:
        companies = max(20, round(20_000 * factor))
        per_company = max(1, round(100_000 * factor) // companies)

        def even(total: float) -> int:
            value = max(2, round(total / companies))
            return value + value % 2

        return cls(
            factor=factor,
            companies=companies,
            end_customers=companies * per_company,
            solutions=max(12, round(5_000 * factor)),
            orders=max(240, round(1_000_000 * factor)),
            rebate_per_wallet=even(3_000_000 * factor),
            credit_per_account=even(2_000_000 * factor),
            statement_lines=max(10, round(300_000 * factor)),
        )

    @property
    def skus(self) -> int:
        return self.solutions * 4

    @property
    def ledger_entries(self) -> int:
        return self.companies * (self.rebate_per_wallet + self.credit_per_account)

    def as_dict(self) -> dict:
        return {**asdict(self), "skus": self.skus, "ledger_entries": self.ledger_entries}


def entry_series(count: str, a: int, b: int, back: str) -> str:
    """SQL rows (c, k, n, ts, amount): per company c, ``count`` ledger entries k numbered n,
    spread over the window; odd k brings a pseudo-random amount in (primes ``a``, ``b``),
    even k takes ``back`` times the one before it out again."""
    return f"""
                SELECT c, k, (c - 1) * %({count})s + k AS n,
                       %(t_start)s + (%(t_end)s::timestamptz - %(t_start)s)
                           * ((k - 0.5) / %({count})s) + c * interval '1 second' AS ts,
                       CASE WHEN k %% 2 = 1
                            THEN (10 + (c * {a} + ((k + 1) / 2) * {b}) %% 500)::numeric
                            ELSE -round((10 + (c * {a} + (k / 2) * {b}) %% 500) * {back}, 2)
                       END AS amount
                FROM generate_series(1, %(n_comp)s) c, generate_series(1, %({count})s) k"""  # noqa: S608 (constants)


def month_start(moment: datetime) -> datetime:
    local = moment.astimezone(SHANGHAI)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


class Loader:
    def __init__(self, scale: Scale, *, now: datetime, log=print):
        self.scale = scale
        self.t_end = month_start(now)  # orders stop at the start of this month
        self.t_start = add_months(self.t_end, -scale.months)
        self.log = log
        self.timings: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.base: dict[str, int] = {}

    # -- helpers ------------------------------------------------------------
    def sql(self, statement: str, params: dict | None = None) -> int:
        with connection.cursor() as cursor:
            cursor.execute(statement, params or {})
            return cursor.rowcount

    def scalar(self, statement: str, params: dict | None = None):
        with connection.cursor() as cursor:
            cursor.execute(statement, params or {})
            row = cursor.fetchone()
        return row[0] if row else None

    def max_id(self, table: str) -> int:
        return int(self.scalar(f"SELECT coalesce(max(id), 0) FROM {table}"))  # noqa: S608

    def step(self, name: str, function) -> None:
        started = time.perf_counter()
        rows = function()
        self.timings[name] = round(time.perf_counter() - started, 2)
        if isinstance(rows, int):
            self.counts[name] = rows
        self.log(f"  {name:<28} {self.timings[name]:>8.2f} s  {rows if rows is not None else ''}")

    @property
    def params(self) -> dict:
        s = self.scale
        return {
            "n_comp": s.companies,
            "n_cust": s.end_customers,
            "per_comp": s.end_customers // s.companies,
            "n_sol": s.solutions,
            "n_ord": s.orders,
            "e_reb": s.rebate_per_wallet,
            "e_cred": s.credit_per_account,
            "t_start": self.t_start,
            "t_end": self.t_end,
            "words": list(SOLUTION_WORDS),
            "providers": list(PROVIDERS),
            "plans": list(PLANS),
            **self.base,
        }

    # -- the load -----------------------------------------------------------
    def run(self) -> dict:
        total = time.perf_counter()
        self.sql("SET synchronous_commit = off")
        self.sql("SET maintenance_work_mem = '512MB'")
        self.sql("SET work_mem = '64MB'")
        is_superuser = self.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        dropped = self.drop_indexes()
        if is_superuser:
            self.sql("SET session_replication_role = replica")
        try:
            self.step("staff", self.staff)
            self.step("companies", self.companies)
            self.step("partner users", self.partner_users)
            self.step("end customers", self.end_customers)
            self.step("categories", self.categories)
            self.step("solutions", self.solutions)
            self.step("skus", self.skus)
            self.step("orders (plan)", self.order_plan)
            self.step("orders", self.orders)
            self.step("order lines", self.order_lines)
            self.step("solution counters", self.solution_counters)
            self.step("rebate wallets+entries", self.rebate)
            self.step("credit accounts+entries", self.credit)
            self.step("rebuild indexes", lambda: self.create_indexes(dropped))
            self.step("statements+lines", self.statements)
        finally:
            if is_superuser:
                self.sql("SET session_replication_role = DEFAULT")
        self.step("reset sequences", self.reset_sequences)
        self.step("check keys", self.check_keys)
        self.step("vacuum analyze", self.vacuum)
        seconds = round(time.perf_counter() - total, 1)
        self.log(f"  {'total':<28} {seconds:>8.2f} s")
        return {
            "seconds": seconds,
            "steps": self.timings,
            "rows": self.counts,
            "period": [self.t_start.isoformat(), self.t_end.isoformat()],
        }

    def drop_indexes(self) -> list[str]:
        """Drop the plain secondary indexes of the big tables; return their definitions."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                JOIN pg_class t ON t.oid = i.indrelid
                WHERE t.relname = ANY(%(tables)s)
                  AND NOT i.indisprimary AND NOT i.indisunique
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                """,
                {"tables": list(BIG_TABLES)},
            )
            rows = cursor.fetchall()
            for name, _definition in rows:
                cursor.execute(f"DROP INDEX {name}")
        return [definition for _name, definition in rows]

    def create_indexes(self, definitions: list[str]) -> int:
        for definition in definitions:
            self.sql(definition)
        return len(definitions)

    def staff(self) -> int:
        self.base["ub"] = self.max_id("partners_user")
        return self.sql(
            """
            INSERT INTO partners_user (id, password, is_superuser, email, name, phone,
                is_staff, is_active, date_joined, activated_at, company_role, position,
                company_id, language, can_allocate)
            SELECT %(ub)s + g, '!bench', false, 'bench-sales-' || g || '@example.com',
                   'Bench 销售 ' || g, '', true, true, %(t_start)s, %(t_start)s, '', '', NULL, '',
                   false
            FROM generate_series(1, %(staff)s) g
            """,
            {**self.params, "staff": STAFF},
        )

    def companies(self) -> int:
        self.base["cb"] = self.max_id("partners_company")
        tiers = [row[0] for row in self._rows("SELECT id FROM partners_tier ORDER BY rank, id")]
        return self.sql(
            """
            INSERT INTO partners_company (id, name, company_type, status, address,
                revenue_share_rate, created_at, updated_at, business_owner_id,
                customer_manager_id, parent_id, tier_id)
            SELECT %(cb)s + g,
                   'Bench 渠道伙伴 ' || lpad(g::text, 6, '0') || ' 科技有限公司',
                   CASE WHEN g %% 20 = 1 THEN 'distributor' ELSE 'reseller' END,
                   CASE WHEN g %% 50 = 0 THEN 'disabled' ELSE 'enabled' END,
                   '上海市浦东新区张江路 ' || g || ' 号',
                   NULL,
                   %(t_start)s - interval '1 year' + interval '1 day' * (g * 1095.0 / %(n_comp)s),
                   %(t_start)s,
                   %(ub)s + 1 + g %% %(staff)s,
                   %(ub)s + 1 + (g + 7) %% %(staff)s,
                   CASE WHEN g %% 20 BETWEEN 2 AND 7 AND g > 20
                        THEN %(cb)s + ((g - 1) / 20) * 20 + 1 END,
                   (%(tiers)s::bigint[])[1 + g %% %(n_tiers)s]
            FROM generate_series(1, %(n_comp)s) g
            """,
            {**self.params, "staff": STAFF, "tiers": tiers, "n_tiers": len(tiers)},
        )

    def partner_users(self) -> int:
        self.base["pb"] = self.max_id("partners_user")
        return self.sql(
            """
            INSERT INTO partners_user (id, password, is_superuser, email, name, phone,
                is_staff, is_active, date_joined, activated_at, company_role, position,
                company_id, language, can_allocate)
            SELECT %(pb)s + g, '!bench', false, 'bench-user-' || g || '@example.com',
                   'Bench 管理员 ' || g, '138' || lpad(g::text, 8, '0'), false, true,
                   %(t_start)s, %(t_start)s, 'admin', '', %(cb)s + g, '', false
            FROM generate_series(1, %(n_comp)s) g
            """,
            self.params,
        )

    def end_customers(self) -> int:
        self.base["eb"] = self.max_id("partners_endcustomer")
        return self.sql(
            """
            INSERT INTO partners_endcustomer (id, name, email, company_name, phone, address,
                created_at, updated_at, company_id, created_by_id)
            SELECT %(eb)s + g, '客户 ' || g, 'customer' || g || '@example.com',
                   'Bench 终端客户 ' || g || ' 有限公司', '', '', %(t_start)s, %(t_start)s,
                   %(cb)s + 1 + (g - 1) %% %(n_comp)s, NULL
            FROM generate_series(1, %(n_cust)s) g
            """,
            self.params,
        )

    def categories(self) -> int:
        base = self.max_id("catalog_category")
        self.base["catb"] = base
        rows = self.sql(
            """
            INSERT INTO catalog_category (id, name, name_en, slug, position, is_active, parent_id)
            SELECT %(catb)s + t, 'Bench 分类 ' || t, 'Bench category ' || t,
                   'bench-top-' || t, t, true, NULL
            FROM generate_series(1, 6) t
            """,
            self.params,
        )
        rows += self.sql(
            """
            INSERT INTO catalog_category (id, name, name_en, slug, position, is_active, parent_id)
            SELECT %(catb)s + 6 + (t - 1) * 5 + s, 'Bench 子分类 ' || t || '-' || s,
                   'Bench sub-category ' || t || '-' || s, 'bench-sub-' || t || '-' || s, s,
                   true, %(catb)s + t
            FROM generate_series(1, 6) t, generate_series(1, 5) s
            """,
            self.params,
        )
        return rows

    def solutions(self) -> int:
        self.base["sb"] = self.max_id("catalog_solution")
        rows = self.sql(
            """
            INSERT INTO catalog_solution (id, name, slug, summary, description, provider, logo,
                details_html, cases_html, support_html, agreement_html, trial_enabled,
                is_published, published_at, pinned_rank, paid_order_count, rating_count,
                rating_avg, search_document, created_at, updated_at)
            SELECT %(sb)s + g,
                   (%(words)s::text[])[1 + g %% 16] || ' 解决方案 ' || g,
                   'bench-solution-' || g,
                   (%(providers)s::text[])[1 + g %% 6] || ' ' || (%(words)s::text[])[1 + g %% 16]
                       || '，适合中小企业的一站式上云方案',
                   '面向企业客户的' || (%(words)s::text[])[1 + g %% 16] || '服务，按需购买，按月计费。',
                   (%(providers)s::text[])[1 + g %% 6],
                   '', '<p>方案详情</p>', '<p>成功案例</p>', '<p>技术支持</p>', '<p>用户协议</p>',
                   g %% 7 = 0, g %% 20 <> 0,
                   CASE WHEN g %% 20 <> 0 THEN %(t_start)s END,
                   CASE WHEN g <= 8 THEN g END,
                   0, 0, 0, '', %(t_start)s, %(t_start)s
            FROM generate_series(1, %(n_sol)s) g
            """,
            self.params,
        )
        # One or two sub-categories each (30 sub-categories).
        self.sql(
            """
            INSERT INTO catalog_solution_categories (solution_id, category_id)
            SELECT %(sb)s + g, %(catb)s + 7 + g %% 30 FROM generate_series(1, %(n_sol)s) g
            UNION ALL
            SELECT %(sb)s + g, %(catb)s + 7 + (g + 11) %% 30
            FROM generate_series(1, %(n_sol)s) g WHERE g %% 3 = 0
            """,
            self.params,
        )
        return rows

    def skus(self) -> int:
        self.base["kb"] = self.max_id("catalog_sku")
        rows = self.sql(
            """
            INSERT INTO catalog_sku (id, code, plan_name, region, currency, unit_price, tax_rate,
                kind, parameters, is_active, position, solution_id)
            SELECT %(kb)s + 4 * (g - 1) + j + 1,
                   'BN-' || lpad(g::text, 5, '0') || '-' || (j + 1),
                   (%(plans)s::text[])[j + 1],
                   CASE WHEN g %% 20 IN (0, 1, 2) THEN 'hk' ELSE 'cn' END,
                   CASE WHEN g %% 20 = 0 THEN 'USD' WHEN g %% 20 IN (1, 2) THEN 'HKD'
                        ELSE 'CNY' END,
                   ((100 + (g * 37) %% 900) * (j + 1))::numeric(14, 2),
                   6.00,
                   CASE WHEN j = 3 THEN 'service' ELSE 'product' END,
                   '[]'::jsonb, true, j, %(sb)s + g
            FROM generate_series(1, %(n_sol)s) g, generate_series(0, 3) j
            """,
            self.params,
        )
        self.sql(
            """
            UPDATE catalog_solution s SET search_document = lower(
                s.name || ' ' || s.summary || ' ' || s.provider || ' ' || k.terms)
            FROM (SELECT solution_id, string_agg(code || ' ' || plan_name, ' '
                                                 ORDER BY position, id) AS terms
                  FROM catalog_sku WHERE solution_id > %(sb)s GROUP BY solution_id) k
            WHERE k.solution_id = s.id
            """,
            self.params,
        )
        return rows

    def order_plan(self) -> int:
        """The random choices of every order, in a temporary table both inserts read."""
        self.sql("SELECT setseed(0.2026)")
        self.sql("DROP TABLE IF EXISTS bench_o")
        return self.sql(
            """
            CREATE TEMP TABLE bench_o AS
            SELECT i,
                   1 + floor(%(n_comp)s * power(random(), 2))::int AS c,
                   1 + floor(random() * %(n_sol)s)::int AS sol,
                   floor(random() * 4)::int AS j,
                   1 + floor(random() * 5)::int AS qty,
                   random() < 0.4 AS two,
                   random() AS r,
                   random() AS r2,
                   %(t_start)s + (%(t_end)s::timestamptz - %(t_start)s)
                       * ((i - random()) / %(n_ord)s) AS ts
            FROM generate_series(1, %(n_ord)s) i
            """,
            self.params,
        )

    def orders(self) -> int:
        self.base["ob"] = self.max_id("billing_order")
        return self.sql(
            """
            INSERT INTO billing_order (id, number, customer_name, customer_company,
                customer_email, customer_phone, customer_address, region, currency, status,
                payment_status, payment_method, goods_total, coupon_discount, rebate_amount,
                credit_amount, payable_total, expected_close_date, remarks, delivery_content,
                supplementary_terms, cancel_reason, idempotency_key, created_at, paid_at,
                cancelled_at, company_id, contract_id, coupon_id, end_customer_id, placed_by_id)
            SELECT %(ob)s + o.i,
                   to_char(o.ts AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDDHH24MISS')
                       || lpad(o.i::text, 7, '0'),
                   e.name, e.company_name, e.email, '', '', s.region, s.currency,
                   st.status, st.payment_status,
                   CASE WHEN o.r2 < 0.7 THEN 'online' ELSE 'offline' END,
                   a.goods, 0, a.rebate,
                   CASE WHEN o.r2 < 0.15 THEN a.goods - a.rebate ELSE 0 END,
                   a.goods - a.rebate,
                   NULL, '', '', '',
                   CASE WHEN st.status = 'cancelled' THEN '客户取消' ELSE '' END,
                   'bench:o:' || o.i, o.ts,
                   CASE WHEN st.payment_status = 'paid' THEN o.ts + interval '1 hour' END,
                   CASE WHEN st.status = 'cancelled' THEN o.ts + interval '20 minutes' END,
                   %(cb)s + o.c, NULL, NULL,
                   %(eb)s + o.c + %(n_comp)s * (o.i %% %(per_comp)s),
                   %(pb)s + o.c
            FROM bench_o o
            JOIN catalog_sku s ON s.id = %(kb)s + 4 * (o.sol - 1) + o.j + 1
            LEFT JOIN catalog_sku s2
                   ON o.two AND s2.id = %(kb)s + 4 * (o.sol - 1) + (o.j + 1) %% 4 + 1
            JOIN partners_endcustomer e
                   ON e.id = %(eb)s + o.c + %(n_comp)s * (o.i %% %(per_comp)s)
            CROSS JOIN LATERAL (
                SELECT s.unit_price * o.qty + coalesce(s2.unit_price, 0) AS goods,
                       CASE WHEN o.r2 > 0.8
                            THEN round((s.unit_price * o.qty + coalesce(s2.unit_price, 0))
                                       * 0.05, 2)
                            ELSE 0 END AS rebate
            ) a
            CROSS JOIN LATERAL (
                SELECT CASE WHEN o.r < 0.55 THEN 'completed' WHEN o.r < 0.65 THEN 'delivered'
                            WHEN o.r < 0.75 THEN 'processing' WHEN o.r < 0.88 THEN 'cancelled'
                            ELSE 'pending_payment' END AS status,
                       CASE WHEN o.r < 0.75 THEN 'paid'
                            WHEN o.r < 0.88 THEN 'unpaid'
                            WHEN o.r2 < 0.3 THEN 'awaiting_confirmation'
                            ELSE 'unpaid' END AS payment_status
            ) st
            """,
            self.params,
        )

    def order_lines(self) -> int:
        return self.sql(
            """
            INSERT INTO billing_orderline (solution_name, sku_code, plan_name, kind, unit_price,
                tax_rate, quantity, line_total, parameters, order_id, sku_id, solution_id)
            SELECT sol.name, s.code, s.plan_name, s.kind, s.unit_price, s.tax_rate, o.qty,
                   s.unit_price * o.qty, '{}'::jsonb, %(ob)s + o.i, s.id, s.solution_id
            FROM bench_o o
            JOIN catalog_sku s ON s.id = %(kb)s + 4 * (o.sol - 1) + o.j + 1
            JOIN catalog_solution sol ON sol.id = s.solution_id
            UNION ALL
            SELECT sol.name, s.code, s.plan_name, s.kind, s.unit_price, s.tax_rate, 1,
                   s.unit_price, '{}'::jsonb, %(ob)s + o.i, s.id, s.solution_id
            FROM bench_o o
            JOIN catalog_sku s ON s.id = %(kb)s + 4 * (o.sol - 1) + (o.j + 1) %% 4 + 1
            JOIN catalog_solution sol ON sol.id = s.solution_id
            WHERE o.two
            ORDER BY 10
            """,
            self.params,
        )

    def solution_counters(self) -> int:
        return self.sql(
            """
            UPDATE catalog_solution s SET paid_order_count = c.n,
                   rating_count = c.n / 50, rating_avg = 3.5 + (s.id %% 15) / 10.0
            FROM (SELECT o.sol, count(*) AS n FROM bench_o o WHERE o.r < 0.75 GROUP BY o.sol) c
            WHERE s.id = %(sb)s + c.sol
            """,
            self.params,
        )

    def balances_from_entries(
        self, table: str, column: str, entries: str, key: str, base: str
    ) -> None:
        """Set each new balance row's ``column`` to the sum of its ledger ``entries``."""
        self.sql(
            f"""
            UPDATE {table} b SET {column} = t.total
            FROM (SELECT {key}, sum(amount) AS total FROM {entries}
                  WHERE {key} > %({base})s GROUP BY {key}) t
            WHERE b.id = t.{key}
            """,  # noqa: S608 (table and column names of this module)
            self.params,
        )

    def rebate(self) -> int:
        self.base["wb"] = self.max_id("billing_rebatewallet")
        self.base["rb"] = self.max_id("billing_rebateentry")
        self.sql(
            """
            INSERT INTO billing_rebatewallet (id, currency, balance, updated_at, company_id)
            SELECT %(wb)s + g, 'CNY', 0, %(t_end)s, %(cb)s + g
            FROM generate_series(1, %(n_comp)s) g
            """,
            self.params,
        )
        # Odd k: a reward (or a staff grant); even k: a purchase spending 80 % of it.
        rows = self.sql(
            f"""
            INSERT INTO billing_rebateentry (id, number, entry_type, amount, balance_after,
                order_number, reason, idempotency_key, created_at, actor_id, reverses_id,
                wallet_id)
            SELECT %(rb)s + x.n, 'RB' || lpad(x.n::text, 12, '0'),
                   CASE WHEN x.k %% 2 = 0 THEN 'spend' WHEN x.k %% 10 = 1 THEN 'grant'
                        ELSE 'reward' END,
                   x.amount,
                   sum(x.amount) OVER (PARTITION BY x.c ORDER BY x.k),
                   CASE WHEN x.k %% 2 = 0
                        THEN to_char(x.ts AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDDHH24MISS')
                             || lpad((x.n %% 10000000)::text, 7, '0')
                        ELSE '' END,
                   CASE WHEN x.k %% 10 = 1 THEN '季度激励' ELSE '' END,
                   'bench:r:' || x.n, x.ts, NULL, NULL, %(wb)s + x.c
            FROM (
                {entry_series("e_reb", 7919, 104729, "0.8")}
            ) x
            """,  # noqa: S608 (entry_series: constants)
            self.params,
        )
        self.balances_from_entries(
            "billing_rebatewallet", "balance", "billing_rebateentry", "wallet_id", "wb"
        )
        return rows

    def credit(self) -> int:
        self.base["ab"] = self.max_id("billing_creditaccount")
        self.base["xb"] = self.max_id("billing_creditentry")
        self.sql(
            """
            INSERT INTO billing_creditaccount (id, currency, credit_limit, used, term_days,
                updated_at, company_id, overdue_block_lift_reason, overdue_block_lifted_until,
                delegated_limit, delegated_used)
            SELECT %(ab)s + g, 'CNY', 100000, 0, 30, %(t_end)s, %(cb)s + g, '', NULL, 0, 0
            FROM generate_series(1, %(n_comp)s) g
            """,
            self.params,
        )
        # Odd k: a credit-paid purchase; even k: a repayment of 90 % of it.
        rows = self.sql(
            f"""
            INSERT INTO billing_creditentry (id, number, entry_type, amount, used_after,
                available_after, order_number, reason, idempotency_key, created_at,
                account_id, actor_id, reverses_id, repayment_id)
            SELECT %(xb)s + x.n, 'CR' || lpad(x.n::text, 12, '0'),
                   CASE WHEN x.k %% 2 = 0 THEN 'repayment' WHEN x.k %% 10 = 3
                        THEN 'offline_charge' ELSE 'charge' END,
                   x.amount,
                   sum(x.amount) OVER w,
                   100000 - sum(x.amount) OVER w,
                   CASE WHEN x.k %% 2 = 1
                        THEN to_char(x.ts AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDDHH24MISS')
                             || lpad((x.n %% 10000000)::text, 7, '0')
                        ELSE '' END,
                   '', 'bench:c:' || x.n, x.ts, %(ab)s + x.c, NULL, NULL, NULL
            FROM (
                {entry_series("e_cred", 6151, 92821, "0.9")}
            ) x
            WINDOW w AS (PARTITION BY x.c ORDER BY x.k)
            """,  # noqa: S608 (entry_series: constants)
            self.params,
        )
        self.balances_from_entries(
            "billing_creditaccount", "used", "billing_creditentry", "account_id", "ab"
        )
        return rows

    def statement_months(self) -> list[datetime]:
        """The oldest months whose orders make up the statement-line target.

        The last month is never taken: the statement-generation scenario generates it.
        """
        months = []
        lines = 0
        month = self.t_start
        last = add_months(self.t_end, -1)
        while month < last and lines < self.scale.statement_lines:
            following = add_months(month, 1)
            lines += int(
                self.scalar(
                    "SELECT count(*) FROM billing_order WHERE created_at >= %(a)s "
                    "AND created_at < %(b)s AND id > %(ob)s",
                    {"a": month, "b": following, "ob": self.base["ob"]},
                )
            )
            months.append(month)
            month = following
        return months

    def statements(self) -> int:
        months = self.statement_months()
        if not months:
            return 0
        params = {**self.params, "a": months[0], "b": add_months(months[-1], 1)}
        self.sql("DROP TABLE IF EXISTS bench_sl")
        self.sql(
            """
            CREATE TEMP TABLE bench_sl AS
            SELECT o.id AS order_id, o.number, o.payable_total, o.status, o.payment_status,
                   o.created_at, o.company_id, o.currency,
                   date_trunc('month', o.created_at AT TIME ZONE 'Asia/Shanghai')::date AS ps,
                   (o.payment_status = 'paid'
                    AND o.status IN ('processing', 'delivered', 'completed')) AS in_sales,
                   l.products, l.qty
            FROM billing_order o
            CROSS JOIN LATERAL (
                SELECT left(string_agg(DISTINCT solution_name, '、'), 500) AS products,
                       sum(quantity) AS qty
                FROM billing_orderline WHERE order_id = o.id
            ) l
            WHERE o.created_at >= %(a)s AND o.created_at < %(b)s AND o.id > %(ob)s
            """,
            params,
        )
        self.base["stb"] = self.max_id("billing_statement")
        params = {**params, "stb": self.base["stb"]}
        self.sql(
            """
            INSERT INTO billing_statement (id, number, currency, period_start, period_end,
                status, order_count, product_count, sales_amount, share_rate, share_amount,
                adjustment_total, total_payable, company_name, tier_name, business_owner_name,
                address, voucher, voucher_name, voucher_content_type, voucher_sha256,
                voucher_reference, paid_on, confirmed_at, dispute_reason, disputed_at,
                completed_at, generated_at, created_at, company_id, confirmed_by_id,
                disputed_by_id, paid_recorded_by_id)
            SELECT %(stb)s + row_number() OVER (ORDER BY g.ps, g.company_id, g.currency),
                   to_char(g.ps + interval '1 month', 'YYYYMMDD')
                       || lpad((row_number() OVER (PARTITION BY g.ps
                                ORDER BY g.company_id, g.currency))::text, 5, '0'),
                   g.currency, g.ps, (g.ps + interval '1 month' - interval '1 day')::date,
                   'confirmed', g.orders, g.qty, g.sales, r.rate, round(g.sales * r.rate, 2), 0,
                   round(g.sales * r.rate, 2), c.name, t.name,
                   coalesce(u.name, ''), c.address, '', '', '', '', '', NULL,
                   (g.ps + interval '1 month 3 days') AT TIME ZONE 'Asia/Shanghai', '', NULL,
                   NULL, (g.ps + interval '1 month 1 day') AT TIME ZONE 'Asia/Shanghai',
                   (g.ps + interval '1 month 1 day') AT TIME ZONE 'Asia/Shanghai',
                   g.company_id, NULL, NULL, NULL
            FROM (SELECT company_id, currency, ps, count(*) AS orders, sum(qty) AS qty,
                         coalesce(sum(payable_total) FILTER (WHERE in_sales), 0) AS sales
                  FROM bench_sl GROUP BY company_id, currency, ps) g
            JOIN partners_company c ON c.id = g.company_id
            JOIN partners_tier t ON t.id = c.tier_id
            LEFT JOIN partners_user u ON u.id = c.business_owner_id
            CROSS JOIN LATERAL (
                SELECT coalesce(c.revenue_share_rate, t.revenue_share_rate) AS rate
            ) r
            """,
            params,
        )
        # The console list's header totals read the per-month rollup the services keep
        # (billing.statements.rollup): add these statements to it, as generation would.
        self.sql(
            """
            INSERT INTO billing_statementrollup (period_start, currency, status,
                statement_count, order_count, product_count, sales_amount)
            SELECT period_start, currency, status, count(*), sum(order_count),
                   sum(product_count), sum(sales_amount)
            FROM billing_statement WHERE id > %(stb)s
            GROUP BY period_start, currency, status
            ON CONFLICT (period_start, currency, status) DO UPDATE SET
                statement_count = billing_statementrollup.statement_count
                    + excluded.statement_count,
                order_count = billing_statementrollup.order_count + excluded.order_count,
                product_count = billing_statementrollup.product_count + excluded.product_count,
                sales_amount = billing_statementrollup.sales_amount + excluded.sales_amount
            """,
            params,
        )
        return self.sql(
            """
            INSERT INTO billing_statementline (order_number, order_total, products,
                order_status, payment_status, quantity, transacted_at, in_sales, order_id,
                statement_id)
            SELECT l.number, l.payable_total, coalesce(l.products, ''), l.status,
                   l.payment_status, l.qty, l.created_at, l.in_sales, l.order_id, s.id
            FROM bench_sl l
            JOIN billing_statement s ON s.company_id = l.company_id
                 AND s.currency = l.currency AND s.period_start = l.ps
            ORDER BY s.id, l.created_at
            """,
            params,
        )

    def reset_sequences(self) -> int:
        from django.apps import apps
        from django.core.management.color import no_style

        models = [
            model
            for label in ("partners", "catalog", "billing")
            for model in apps.get_app_config(label).get_models()
        ]
        statements = connection.ops.sequence_reset_sql(no_style(), models)
        for statement in statements:
            self.sql(statement)
        return len(statements)

    def check_keys(self) -> int:
        """Anti-joins over the foreign keys the load wrote with triggers off."""
        checks = {
            "order.company": "SELECT count(*) FROM billing_order o LEFT JOIN partners_company c "
            "ON c.id = o.company_id WHERE c.id IS NULL",
            "order.end_customer": "SELECT count(*) FROM billing_order o LEFT JOIN "
            "partners_endcustomer e ON e.id = o.end_customer_id WHERE e.id IS NULL "
            "OR e.company_id <> o.company_id",
            "order.placed_by": "SELECT count(*) FROM billing_order o LEFT JOIN partners_user u "
            "ON u.id = o.placed_by_id WHERE u.id IS NULL OR u.company_id <> o.company_id",
            "orderline.order": "SELECT count(*) FROM billing_orderline l LEFT JOIN billing_order o "
            "ON o.id = l.order_id WHERE o.id IS NULL",
            "rebateentry.wallet": "SELECT count(*) FROM billing_rebateentry r LEFT JOIN "
            "billing_rebatewallet w ON w.id = r.wallet_id WHERE w.id IS NULL",
            "creditentry.account": "SELECT count(*) FROM billing_creditentry r LEFT JOIN "
            "billing_creditaccount a ON a.id = r.account_id WHERE a.id IS NULL",
            "statementline.order": "SELECT count(*) FROM billing_statementline l LEFT JOIN "
            "billing_order o ON o.id = l.order_id WHERE o.id IS NULL",
            "company.parent": "SELECT count(*) FROM partners_company c LEFT JOIN partners_company p "
            "ON p.id = c.parent_id WHERE c.parent_id IS NOT NULL "
            "AND (p.id IS NULL OR p.company_type <> 'distributor')",
        }
        broken = {name: int(self.scalar(query)) for name, query in checks.items()}
        broken = {name: count for name, count in broken.items() if count}
        if broken:
            raise RuntimeError(f"bench data has dangling keys: {broken}")
        return len(checks)

    def vacuum(self) -> None:
        self.sql("VACUUM (ANALYZE)")

    def _rows(self, statement: str, params: dict | None = None) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(statement, params or {})
            return cursor.fetchall()


def generate(factor: float, *, now: datetime | None = None, log=print) -> dict:
    """Load the data for ``factor`` into the default database (PostgreSQL, migrated)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The benchmark data generator needs PostgreSQL (DATABASE_URL).")
    scale = Scale.of(factor)
    from django.utils import timezone

    loader = Loader(scale, now=now or timezone.now(), log=log)
    log(f"Generating bench data at scale {factor} into {connection.settings_dict['NAME']}")
    result = loader.run()
    result["scale"] = scale.as_dict()
    return result


def last_full_month(now: datetime) -> datetime:
    return add_months(month_start(now), -1)


__all__ = ["Scale", "generate", "last_full_month", "month_start", "add_months", "timedelta"]
