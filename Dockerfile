# One image, three roles (docker-compose.yml): Label Studio with apeach-ls's guard, the ML
# backend (replicated), and the campaign's one retrainer. Settings come from the environment.
FROM python:3.11-slim

WORKDIR /app
COPY . /app
# [server]: the Label Studio version apeach-ls is tested with (setup.cfg)
RUN pip install --no-cache-dir "/app[server]" \
    && useradd --create-home --uid 10001 apeach \
    && mkdir -p /registry /label-studio-data \
    && chown apeach /registry /label-studio-data
USER apeach

# The backend listens on all interfaces only here, inside the container (the CLI's default
# is 127.0.0.1); the port is published to the compose network only, not to the host.
EXPOSE 9090
ENTRYPOINT ["apeach-ls"]
CMD ["backend", "--host", "0.0.0.0", "--port", "9090"]
