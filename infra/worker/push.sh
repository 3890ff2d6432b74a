#!/usr/bin/env bash
# Build the GPU worker image and push it to the stage's ECR repository (sst output
# workerImageRepository), tagged as ALIGNSAM_DEPLOY_WORKER_IMAGE_TAG expects (default "latest").
# Usage: infra/worker/push.sh <repositoryUrl> [tag]
set -euo pipefail
repository="${1:?usage: push.sh <repositoryUrl> [tag]}"
tag="${2:-latest}"
registry="${repository%%/*}"
region="$(cut -d. -f4 <<<"$registry")"
cd "$(dirname "$0")/../.."
aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"
docker build --platform linux/amd64 -f infra/worker/Dockerfile -t "$repository:$tag" .
docker push "$repository:$tag"
