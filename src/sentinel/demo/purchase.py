"""The checkout path (checkout → inventory, payments → payments-db) and the frontend entry
points that start every trace. Pure."""

from __future__ import annotations

from sentinel.demo.flows import DB_TIMEOUT_MS, POOL_ERROR, POOL_EXHAUSTED, ShopRequest
from sentinel.demo.records import MS
from sentinel.demo.topology import SERVER, AttrValue

CARDS = ("visa", "mastercard", "amex", "paypal")


class FrontendRequest(ShopRequest):
    def run(self, route: str, start: int) -> int:
        """Build the whole trace of one frontend request; returns its end."""
        b, rng = self.b, self.rng
        root = b.new_id()
        t = start + b.ms(0.8)
        status = 200
        method, path_template = route.split(" ", 1)
        path = path_template
        if route == "GET /":
            t, _ = self.http(
                "frontend",
                root,
                t,
                "auth",
                "POST",
                "/api/v1/verify",
                "/api/v1/verify",
                self.auth_verify,
            )
            t, status = self.http(
                "frontend",
                root,
                t,
                "inventory",
                "GET",
                "/api/products",
                "/api/products?featured=true",
                self.product_list,
            )
        elif route == "GET /product/:id":
            product = rng.randrange(1000, 9999)
            path = f"/product/{product}"
            t, status = self.http(
                "frontend",
                root,
                t,
                "inventory",
                "GET",
                "/api/products/{id}",
                f"/api/products/{product}",
                self.product(product),
            )
        elif route == "GET /cart":
            t, _ = self.http(
                "frontend",
                root,
                t,
                "auth",
                "POST",
                "/api/v1/verify",
                "/api/v1/verify",
                self.auth_verify,
            )
            t, status = self.http(
                "frontend", root, t, "checkout", "GET", "/api/cart", "/api/cart", self.cart
            )
        elif route == "POST /cart/checkout":
            t, _ = self.http(
                "frontend",
                root,
                t,
                "auth",
                "POST",
                "/api/v1/verify",
                "/api/v1/verify",
                self.auth_verify,
            )
            t, status = self.http(
                "frontend",
                root,
                t,
                "checkout",
                "POST",
                "/api/checkout",
                "/api/checkout",
                self.checkout,
            )
        else:  # GET /account/orders
            t, status = self.http(
                "frontend", root, t, "checkout", "GET", "/api/orders", "/api/orders", self.orders
            )
        status = 502 if status >= 500 else status
        end = t + b.ms(3.0, 0.5)
        b.span(
            root,
            b"",
            "frontend",
            route,
            SERVER,
            start,
            end,
            {
                "http.request.method": method,
                "http.route": path_template,
                "url.path": path,
                "url.scheme": "https",
                "http.response.status_code": status,
                "server.address": "shop.example.com",
                "user_agent.original": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
                "enduser.id": self.user,
            },
            f"HTTP {status}" if status >= 500 else None,
        )
        took = (end - start) // MS
        fields: dict[str, AttrValue] = {
            "http.response.status_code": status,
            "http.route": path_template,
        }
        b.log(
            "frontend",
            "ERROR" if status >= 500 else "INFO",
            f"{method} {path} {status} {took} ms",
            end,
            root,
            **fields,
        )
        return end

    def checkout(self, start: int, sid: bytes) -> tuple[int, int]:
        b, rng = self.b, self.rng
        order = f"o-{rng.getrandbits(32):08x}"
        items = rng.randrange(1, 6)
        amount = round(rng.uniform(9.0, 240.0), 2)
        t = start + b.ms(1.0)
        t = self.db(
            "checkout", sid, t, "redis", "HGETALL", "", f"HGETALL cart:{self.user}", b.ms(0.6)
        )
        t, status = self.http(
            "checkout",
            sid,
            t,
            "inventory",
            "POST",
            "/api/reservations",
            "/api/reservations",
            lambda s, p: self.reserve(s, p, order, items),
        )
        if status < 500:
            began = t
            t, status = self.http(
                "checkout",
                sid,
                t,
                "payments",
                "POST",
                "/api/charges",
                "/api/charges",
                lambda s, p: self.charge(s, p, order, amount),
            )
            if status >= 500:
                b.log(
                    "checkout",
                    "ERROR",
                    f"checkout of order {order} failed: payments answered {status} after "
                    f"{(t - began) // MS} ms",
                    t,
                    sid,
                    order=order,
                    user=self.user,
                )
                return t + b.ms(0.5), 502
        else:
            b.log(
                "checkout",
                "ERROR",
                f"checkout of order {order} failed: inventory answered {status}",
                t,
                sid,
                order=order,
            )
            return t + b.ms(0.5), 502
        t = self.db("checkout", sid, t, "redis", "DEL", "", f"DEL cart:{self.user}", b.ms(0.4))
        b.log(
            "checkout",
            "INFO",
            f"order {order} placed for user {self.user}: {items} items, total {amount:.2f} EUR",
            t,
            sid,
            order=order,
            user=self.user,
        )
        return t + b.ms(1.0), 201

    def reserve(self, start: int, sid: bytes, order: str, items: int) -> tuple[int, int]:
        b, rng = self.b, self.rng
        sku = f"SKU-{rng.randrange(10000, 99999)}"
        t = start + b.ms(0.5)
        slow = rng.random() < 0.02
        took = int(rng.uniform(1500, 4000) * MS) if slow else b.ms(4.0, 0.4)
        deadlock = rng.random() < 0.002
        t = self.db(
            "inventory",
            sid,
            t,
            "inventory-db",
            "UPDATE",
            "stock",
            "UPDATE stock SET reserved = reserved + $1 WHERE sku = $2 AND available >= $1",
            took,
            "deadlock detected" if deadlock else None,
        )
        if deadlock:
            b.log(
                "inventory",
                "ERROR",
                f"reservation for order {order} failed: deadlock detected on {sku}",
                t,
                sid,
                order=order,
            )
            return t + b.ms(0.5), 500
        if slow:
            b.log(
                "inventory",
                "WARN",
                f"reservation for order {order} waited {took // MS} ms for a row lock on {sku}",
                t,
                sid,
                order=order,
            )
        b.log(
            "inventory",
            "INFO",
            f"reserved {items} x {sku} for order {order} ({rng.randrange(3, 400)} left)",
            t,
            sid,
            order=order,
        )
        return t + b.ms(0.5), 201

    def charge(self, start: int, sid: bytes, order: str, amount: float) -> tuple[int, int]:
        b, rng, health = self.b, self.rng, self.health
        charge = f"ch_{rng.getrandbits(48):012x}"
        t = start + b.ms(0.5)
        t = self.internal("payments", sid, t, "fraud.score", 6.0)
        for attempt in (1, 2):
            p = health.db_timeout_p if attempt == 1 or not health.retry_saves else 0.0
            if rng.random() >= p:
                slow = health.db_slowdown
                t = self.db(
                    "payments",
                    sid,
                    t,
                    "payments-db",
                    "SELECT",
                    "accounts",
                    "SELECT id, status, risk_level FROM accounts WHERE user_id = $1",
                    int(b.ms(2.0) * slow),
                )
                t = self.db(
                    "payments",
                    sid,
                    t,
                    "payments-db",
                    "INSERT",
                    "charges",
                    "INSERT INTO charges (id, order_id, amount, currency) VALUES ($1, $2, $3, $4)",
                    int(b.ms(3.0) * slow),
                )
                card = rng.choice(CARDS)
                b.log(
                    "payments",
                    "INFO",
                    f"charge {charge} authorized: {amount:.2f} EUR via {card}",
                    t,
                    sid,
                    order=order,
                    charge=charge,
                )
                return t + b.ms(0.5), 201
            t = self.db(
                "payments",
                sid,
                t,
                "payments-db",
                "SELECT",
                "accounts",
                "SELECT id, status, risk_level FROM accounts WHERE user_id = $1",
                (DB_TIMEOUT_MS + rng.randrange(0, 15)) * MS,
                POOL_ERROR,
            )
            if attempt == 1:
                b.log(
                    "payments",
                    "WARN",
                    f"database timeout after {DB_TIMEOUT_MS} ms, retrying charge {charge} "
                    "(attempt 2 of 2)",
                    t,
                    sid,
                    order=order,
                    charge=charge,
                )
        b.log(
            "payments",
            "ERROR",
            POOL_EXHAUSTED.format(charge=charge, error=POOL_ERROR),
            t,
            sid,
            order=order,
            charge=charge,
            **{"exception.type": "sqlalchemy.exc.TimeoutError", "exception.message": POOL_ERROR},
        )
        return t + b.ms(1.0), 503
