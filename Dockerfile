# One image for every OneNet process; docker-compose.yml picks the process via `command`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ONENET_OPS_HOST=0.0.0.0 \
    GATEWAY_HOST=0.0.0.0

WORKDIR /app

# Dependencies first so code changes don't invalidate this layer.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin onenet \
    && chown -R onenet:onenet /app
USER onenet

# The gateway's API port and every ops port (gateway, agencies, enterprises, requests, notifications).
EXPOSE 8000 9100 9101 9102 9103 9104

CMD ["python", "-c", "print('''OneNet image. Run one of:\n  python -m infra.network prepare       # schemas, migrations, RabbitMQ topology\n  python -m infra.network demo-data     # load demo data\n  python -m chassis.serve services/<agencies|enterprises|requests|notifications>/config.yml\n  python -m chassis.serve gateway/config.yml''')"]
