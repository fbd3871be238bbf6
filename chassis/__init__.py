"""The OneNet chassis: the one shared package of cross-cutting code.

Every process (the four nameko services and the gateway) uses these pieces the
same way: configuration, PostgreSQL access, the transactional outbox and the
idempotent inbox, the event envelope, reliable event handlers with retry and
dead-lettering, structured logs with a correlation id, Prometheus metrics, and
liveness/readiness. Services never import each other; they share only this.
"""

import warnings

# eventlet announces its maintenance mode on import; the stack is chosen (see README).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
