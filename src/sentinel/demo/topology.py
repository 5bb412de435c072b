"""The demo shop: which services exist, how they look to OpenTelemetry, what they call.

frontend → auth → redis; frontend → inventory → {redis, inventory-db, search-index};
frontend → checkout → {redis, inventory, payments → payments-db}. Pure data."""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "shop"
ENVIRONMENT = "demo"

# OTLP SpanKind numbers.
INTERNAL, SERVER, CLIENT = 1, 2, 3

AttrValue = str | int | float | bool


@dataclass(frozen=True)
class Service:
    """A traced service: the resource attributes its SDK reports and its instances."""

    name: str
    version: str
    language: str
    scope: str
    port: int
    instances: tuple[str, ...]

    def resource(self, instance: int) -> dict[str, AttrValue]:
        pod = self.instances[instance % len(self.instances)]
        return {
            "service.name": self.name,
            "service.namespace": NAMESPACE,
            "service.version": self.version,
            "service.instance.id": pod,
            "deployment.environment": ENVIRONMENT,
            "deployment.environment.name": ENVIRONMENT,
            "host.name": pod,
            "k8s.pod.name": pod,
            "k8s.namespace.name": NAMESPACE,
            "cloud.region": "eu-west-1",
            "telemetry.sdk.name": "opentelemetry",
            "telemetry.sdk.language": self.language,
        }


@dataclass(frozen=True)
class Datastore:
    """An untraced dependency, seen only through its callers' client spans."""

    name: str  # peer.service, the node in the dependency graph
    system: str  # db.system.name
    host: str
    port: int
    namespace: str = ""


def _pods(name: str, *suffixes: str) -> tuple[str, ...]:
    return tuple(f"{name}-{s}" for s in suffixes)


SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service(
            "frontend",
            "2.14.1",
            "nodejs",
            "@opentelemetry/instrumentation-http",
            8080,
            _pods("frontend", "7d9f8c6b5-4xkqz", "7d9f8c6b5-m2p7d", "7d9f8c6b5-tr8wn"),
        ),
        Service(
            "auth",
            "1.8.0",
            "go",
            "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
            9000,
            _pods("auth", "5c8d7f9b4-hq2lx", "5c8d7f9b4-zw6vn"),
        ),
        Service(
            "checkout",
            "3.2.0",
            "java",
            "io.opentelemetry.spring-webmvc-6.0",
            8080,
            _pods("checkout", "66f4b9d8c-9lqsd", "66f4b9d8c-b7xkp"),
        ),
        Service(
            "payments",
            "4.1.3",
            "python",
            "opentelemetry.instrumentation.fastapi",
            8000,
            _pods("payments", "84b6c5d7f-2vrtm", "84b6c5d7f-kx9qj"),
        ),
        Service(
            "inventory",
            "1.22.0",
            "go",
            "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
            9090,
            _pods("inventory", "6b7c8d9e5-fp3wz", "6b7c8d9e5-q8mnt"),
        ),
    )
}

DATASTORES: dict[str, Datastore] = {
    d.name: d
    for d in (
        Datastore("redis", "redis", "redis-master.shop.svc", 6379),
        Datastore("payments-db", "postgresql", "payments-db.shop.svc", 5432, "payments"),
        Datastore("inventory-db", "postgresql", "inventory-db.shop.svc", 5432, "inventory"),
        Datastore("search-index", "elasticsearch", "search-index.shop.svc", 9200, "products"),
    )
}

# Frontend entry points and their share of traffic (the rest of the tree follows from them).
ROUTES: tuple[tuple[str, float], ...] = (
    ("GET /", 0.25),
    ("GET /product/:id", 0.345),
    ("GET /cart", 0.15),
    ("POST /cart/checkout", 0.25),
    ("GET /account/orders", 0.005),  # the chatty one: a call to inventory per order line
)

# The operation the demo's availability SLO is about.
CHECKOUT_OPERATION = "POST /api/checkout"
# The batch job whose single trace has 5,000 spans (for the trace view's virtual list).
REINDEX_OPERATION = "catalog.reindex"
REINDEX_SPANS = 5000
