"""A small kustomize: renders deploy/k8s's overlays without the kustomize binary.

It knows the part of kustomize those overlays use (resources, namespace, images, replicas, and patches
either as JSON 6902 operations or as strategic merges, with or without a target) and refuses anything
else by name, so an overlay can never silently mean more than this renders. Where kubectl is installed,
the tests compare its rendering with kubectl's.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml

KNOWN_FIELDS = {"apiVersion", "kind", "namespace", "resources", "images", "replicas", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass",
                  "StorageClass", "PersistentVolume", "ValidatingWebhookConfiguration",
                  "MutatingWebhookConfiguration"}
SCALABLE = {"Deployment", "StatefulSet", "ReplicaSet"}


class KustomizeError(ValueError):
    pass


def load_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def render(directory: Path) -> list[dict]:
    directory = Path(directory)
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KNOWN_FIELDS
    if unknown:
        raise KustomizeError(f"{directory}: kustomization fields this renderer does not know: {sorted(unknown)}")
    resources: list[dict] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        resources += render(path) if path.is_dir() else copy.deepcopy(load_documents(path))
    _refuse_duplicates(resources, directory)
    for patch in kustomization.get("patches", []):
        resources = _apply_patch(resources, patch, directory)
    if "namespace" in kustomization:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = kustomization["namespace"]
    for image in kustomization.get("images", []):
        for container in _containers(resources):
            _set_image(container, image)
    for replicas in kustomization.get("replicas", []):
        matched = [r for r in resources if r["kind"] in SCALABLE and r["metadata"]["name"] == replicas["name"]]
        if not matched:
            raise KustomizeError(f"{directory}: replicas for {replicas['name']!r}, which is not here")
        for resource in matched:
            resource["spec"]["replicas"] = replicas["count"]
    return resources


def _refuse_duplicates(resources: list[dict], directory: Path) -> None:
    seen = set()
    for resource in resources:
        key = (resource["apiVersion"].split("/")[0], resource["kind"], resource["metadata"]["name"])
        if key in seen:
            raise KustomizeError(f"{directory}: {key} appears twice")
        seen.add(key)


def _containers(resources: list[dict]):
    for resource in resources:
        template = resource.get("spec", {}).get("template", {}).get("spec", {})
        if resource["kind"] == "Job" or resource["kind"] in SCALABLE:
            yield from template.get("initContainers", [])
            yield from template.get("containers", [])


def _set_image(container: dict, image: dict) -> None:
    repository = container["image"].split("@", 1)[0]
    if repository.rfind(":") > repository.rfind("/"):
        repository = repository[:repository.rfind(":")]
    if repository != image["name"]:
        return
    new = image.get("newName", repository)
    if "digest" in image:
        container["image"] = f"{new}@{image['digest']}"
    elif "newTag" in image:
        container["image"] = f"{new}:{image['newTag']}"
    else:
        container["image"] = new + container["image"][len(repository):]


# ------------------------------------------------------------------------------------------- patches --

def _apply_patch(resources: list[dict], patch: dict, directory: Path) -> list[dict]:
    unknown = set(patch) - {"path", "patch", "target"}
    if unknown:
        raise KustomizeError(f"{directory}: patch fields this renderer does not know: {sorted(unknown)}")
    text = (directory / patch["path"]).read_text() if "path" in patch else patch["patch"]
    documents = [d for d in yaml.safe_load_all(text) if d is not None]
    if len(documents) == 1 and isinstance(documents[0], list):
        targets = _targets(resources, patch.get("target"), directory)
        for resource in targets:
            _json6902(resource, documents[0], directory)
        return resources
    for document in documents:
        target = patch.get("target") or {"kind": document["kind"], "name": document["metadata"]["name"]}
        for resource in _targets(resources, target, directory):
            if document.get("$patch") == "delete":
                resources = [r for r in resources if r is not resource]
            else:
                _merge(resource, {k: v for k, v in document.items() if k not in ("apiVersion", "kind", "metadata")},
                       builtin=resource["apiVersion"].split("/")[0] in ("apps", "v1", "batch", "policy",
                                                                         "autoscaling"))
                if "metadata" in document:
                    for key in ("labels", "annotations"):
                        resource["metadata"].setdefault(key, {}).update(document["metadata"].get(key, {}))
    return resources


def _targets(resources: list[dict], target: dict | None, directory: Path) -> list[dict]:
    if not target:
        raise KustomizeError(f"{directory}: a JSON 6902 patch needs a target")
    unknown = set(target) - {"group", "version", "kind", "name", "labelSelector"}
    if unknown:
        raise KustomizeError(f"{directory}: target fields this renderer does not know: {sorted(unknown)}")
    matched = []
    for resource in resources:
        group, _, version = resource["apiVersion"].rpartition("/")
        if "group" in target and target["group"] != group:
            continue
        if "version" in target and target["version"] != version:
            continue
        if "kind" in target and target["kind"] != resource["kind"]:
            continue
        if "name" in target and not re.fullmatch(target["name"], resource["metadata"]["name"]):
            continue
        if "labelSelector" in target:
            labels = resource["metadata"].get("labels", {})
            wanted = dict(term.split("=", 1) for term in target["labelSelector"].split(","))
            if any(labels.get(k.strip()) != v.strip() for k, v in wanted.items()):
                continue
        matched.append(resource)
    if not matched:
        raise KustomizeError(f"{directory}: patch target {target} matches nothing")
    return matched


def _json6902(resource: dict, operations: list[dict], directory: Path) -> None:
    for operation in operations:
        op, path = operation["op"], operation["path"]
        if op not in ("add", "replace", "remove"):
            raise KustomizeError(f"{directory}: JSON patch op {op!r} is not supported here")
        *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]
        node = resource
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            index = len(node) if last == "-" else int(last)
            if op == "add":
                node.insert(index, copy.deepcopy(operation["value"]))
            elif op == "replace":
                node[index] = copy.deepcopy(operation["value"])
            else:
                del node[index]
            continue
        if op in ("replace", "remove") and last not in node:
            raise KustomizeError(f"{directory}: {op} {path}: no such field in {resource['metadata']['name']}")
        if op == "remove":
            del node[last]
        else:
            node[last] = copy.deepcopy(operation["value"])


def _merge(target: dict, patch: dict, builtin: bool) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value, builtin)
        elif (builtin and isinstance(value, list) and isinstance(target.get(key), list)
              and all(isinstance(i, dict) and "name" in i for i in value + target[key])):
            by_name = {item["name"]: item for item in target[key]}
            for item in value:
                if item["name"] in by_name:
                    _merge(by_name[item["name"]], item, builtin)
                else:
                    target[key].append(copy.deepcopy(item))
        else:
            target[key] = copy.deepcopy(value)
