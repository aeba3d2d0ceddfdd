# nginx with deploy/nginx.conf, for compose.yaml: the reverse proxy in front of the ragqa image.
# From the same Debian base as the ragqa image (made with debootstrap where no registry is reachable;
# BASE_IMAGE=debian:bookworm-slim, or the registry's own nginx image with this file mounted, elsewhere).
ARG BASE_IMAGE=ragqa-base:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/*
COPY nginx.conf /etc/ragqa/nginx.conf
# The prefix holds nginx's logs and the bodies it buffers; its workers run as www-data.
RUN mkdir -p /var/lib/ragqa-nginx/logs /var/lib/ragqa-nginx/tmp && chown -R www-data:www-data /var/lib/ragqa-nginx
STOPSIGNAL SIGQUIT
CMD ["nginx", "-p", "/var/lib/ragqa-nginx", "-c", "/etc/ragqa/nginx.conf", "-g", "daemon off;"]
