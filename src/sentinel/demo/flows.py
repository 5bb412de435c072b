"""One frontend request through the shop, as spans and logs. Pure (randomness from the
builder's seeded generator).

`Health` says how the payments database behaves at the request's time: the demo's failure
starts there (connections time out, a retry still saves the charge), then retries stop
helping and the errors climb to payments, checkout and the frontend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sentinel.demo.records import MS, SpanEvent, TraceBuilder
from sentinel.demo.topology import CLIENT, DATASTORES, INTERNAL, SERVER, SERVICES

DB_TIMEOUT_MS = 2000
POOL_ERROR = "QueuePool limit of size 20 overflow 0 reached, connection timed out, timeout 2.00"
# The log line that is new with the failure (the logs' "new pattern" and error group).
POOL_EXHAUSTED = "charge {charge} failed: database connection pool exhausted ({error})"

Handler = Callable[[int, bytes], tuple[int, int]]


@dataclass(frozen=True)
class Health:
    db_timeout_p: float = 0.0  # per attempt: payments gets no DB connection in time
    retry_saves: bool = True  # the retry always gets one (early in the failure)
    db_slowdown: float = 1.0  # payments' queries that do run are this much slower


HEALTHY = Health()


class ShopRequest:
    """Builds one trace: `run(route, start_ns)` returns the root span's end."""

    def __init__(self, b: TraceBuilder, health: Health) -> None:
        self.b = b
        self.rng = b.rng
        self.health = health
        self.user = f"u-{self.rng.randrange(1000, 99999)}"

    # -- building blocks ---------------------------------------------------------------

    def http(
        self,
        caller: str,
        parent: bytes,
        start: int,
        callee: str,
        method: str,
        route: str,
        path: str,
        handler: Handler,
    ) -> tuple[int, int]:
        """A client span in the caller around the callee's server span."""
        b, service = self.b, SERVICES[callee]
        client_id, server_id = b.new_id(), b.new_id()
        server_start = start + b.ms(0.4, 0.3)
        server_end, status = handler(server_start, server_id)
        end = server_end + b.ms(0.3, 0.3)
        host = f"{callee}.shop.svc"
        error = f"HTTP {status}" if status >= 500 else None
        b.span(
            server_id,
            client_id,
            callee,
            f"{method} {route}",
            SERVER,
            server_start,
            server_end,
            {
                "http.request.method": method,
                "http.route": route,
                "url.path": path,
                "url.scheme": "http",
                "http.response.status_code": status,
                "server.address": host,
                "server.port": service.port,
                "network.protocol.version": "1.1",
                "client.address": f"10.4.{self.rng.randrange(1, 9)}.{self.rng.randrange(2, 250)}",
            },
            error,
        )
        b.span(
            client_id,
            parent,
            caller,
            f"{method} {route}",
            CLIENT,
            start,
            end,
            {
                "http.request.method": method,
                "url.full": f"http://{host}:{service.port}{path}",
                "server.address": host,
                "server.port": service.port,
                "http.response.status_code": status,
            },
            error,
        )
        return end, status

    def db(
        self,
        service: str,
        parent: bytes,
        start: int,
        store: str,
        operation: str,
        collection: str,
        query: str,
        duration: int,
        error: str | None = None,
    ) -> int:
        """A client span to an untraced datastore (a node of the graph via peer.service)."""
        ds = DATASTORES[store]
        attributes: dict[str, str | int | float | bool] = {
            "db.system.name": ds.system,
            "db.operation.name": operation,
            "db.query.text": query,
            "server.address": ds.host,
            "server.port": ds.port,
            "peer.service": ds.name,
        }
        if collection:
            attributes["db.collection.name"] = collection
        if ds.namespace:
            attributes["db.namespace"] = ds.namespace
        end = start + duration
        events = []
        if error:
            attributes["error.type"] = "TimeoutError"
            events.append(
                SpanEvent(
                    "exception",
                    end,
                    {"exception.type": "sqlalchemy.exc.TimeoutError", "exception.message": error},
                )
            )
        name = f"{operation} {collection}" if collection else operation
        self.b.span(
            self.b.new_id(), parent, service, name, CLIENT, start, end, attributes, error, events
        )
        return end

    def internal(self, service: str, parent: bytes, start: int, name: str, median_ms: float) -> int:
        end = start + self.b.ms(median_ms)
        self.b.span(self.b.new_id(), parent, service, name, INTERNAL, start, end, {})
        return end

    # -- services ------------------------------------------------------------------------

    def auth_verify(self, start: int, sid: bytes) -> tuple[int, int]:
        b = self.b
        t = start + b.ms(0.3)
        query = f"GET session:{self.user}"
        t = self.db("auth", sid, t, "redis", "GET", "", query, b.ms(0.6))
        if self.rng.random() < 0.03:
            t = self.internal("auth", sid, t, "jwt.verify", 2.0)
        b.log("auth", "DEBUG", f"session verified for user {self.user}", t, sid, user=self.user)
        return t + b.ms(0.2), 200

    def product(self, product: int) -> Handler:
        def handle(start: int, sid: bytes) -> tuple[int, int]:
            b = self.b
            t = start + b.ms(0.4)
            t = self.db(
                "inventory", sid, t, "redis", "GET", "", f"GET product:{product}", b.ms(0.5)
            )
            if self.rng.random() < 0.3:
                took = b.ms(3.0, 0.5)
                t = self.db(
                    "inventory",
                    sid,
                    t,
                    "inventory-db",
                    "SELECT",
                    "products",
                    "SELECT id, sku, name, price, stock FROM products WHERE id = $1",
                    took,
                )
                t = self.db(
                    "inventory", sid, t, "redis", "SET", "", f"SET product:{product}", b.ms(0.4)
                )
                b.log(
                    "inventory",
                    "DEBUG",
                    f"cache miss for product:{product}, loaded from inventory-db in "
                    f"{took // MS} ms",
                    t,
                    sid,
                )
            return t + b.ms(0.5), 200

        return handle

    def product_list(self, start: int, sid: bytes) -> tuple[int, int]:
        b = self.b
        t = start + b.ms(0.4)
        t = self.db("inventory", sid, t, "redis", "GET", "", "GET featured:home", b.ms(0.5))
        if self.rng.random() < 0.1:
            t = self.db(
                "inventory",
                sid,
                t,
                "inventory-db",
                "SELECT",
                "products",
                "SELECT id, sku, name, price FROM products WHERE featured ORDER BY rank LIMIT 24",
                b.ms(9.0, 0.4),
            )
        return t + b.ms(1.0), 200

    def cart(self, start: int, sid: bytes) -> tuple[int, int]:
        b = self.b
        t = start + b.ms(0.5)
        t = self.db(
            "checkout", sid, t, "redis", "HGETALL", "", f"HGETALL cart:{self.user}", b.ms(0.6)
        )
        return t + b.ms(1.5), 200

    def orders(self, start: int, sid: bytes) -> tuple[int, int]:
        """The N+1 endpoint: one inventory call per order line (hundreds of spans)."""
        b = self.b
        t = start + b.ms(1.0)
        t = self.db(
            "checkout", sid, t, "redis", "LRANGE", "", f"LRANGE orders:{self.user} 0 -1", b.ms(0.8)
        )
        lines = self.rng.randrange(80, 180)
        for _ in range(lines):
            product = self.rng.randrange(1000, 9999)
            t, _status = self.http(
                "checkout",
                sid,
                t,
                "inventory",
                "GET",
                "/api/products/{id}",
                f"/api/products/{product}",
                self.product(product),
            )
        b.log("checkout", "INFO", f"order history for {self.user}: {lines} lines", t, sid)
        return t + b.ms(2.0), 200
