#!/usr/bin/env bash
# Copies the Kubernetes manifests that Quarkus generated at `./mvnw package` into the Kustomize base.
# ManifestsTest fails while the committed copies differ from what the services generate.
set -euo pipefail
cd "$(dirname "$0")/.."
for s in tokenizer-service sampler-service trainer-service inference-service; do
  cp "$s/target/kubernetes/kubernetes.yml" "deploy/kubernetes/base/generated/$s.yml"
done
echo "deploy/kubernetes/base/generated/ refreshed"
