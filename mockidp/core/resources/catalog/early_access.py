"""Early-access configuration no recorded tenant uses: experimentation (feature flags, their
variations, segments and experiments) and verifiable-credential verification templates. Stored
configuration with the spec's defaults; mockidp assigns no login to an experiment."""
from __future__ import annotations

from ...tenant.clock import iso
from ...tenant.errors import ManagementError
from .. import store
from ..model import Resource

_STAMPS = {"created_at": "created_at", "updated_at": "updated_at"}
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58_id(prefix: str):
    """Experimentation ids: a prefix and 22 base58 characters, as the spec's patterns require."""
    return lambda tenant: f"{prefix}_{tenant.rng.chars(_BASE58, 22)}"
FEATURE_FLAGS = "/experimentation/feature-flags"


def _flag_exists(tenant, flag_id: str) -> None:
    if flag_id not in tenant.directory.resources.get(FEATURE_FLAGS, {}):
        raise ManagementError(404, "Feature flag not found.", "feature_flag_not_found")


def _experiment_flag_exists(tenant, record: dict) -> dict:
    _flag_exists(tenant, record["feature_flag_id"])
    return record


def _transition(resource_of):
    """POST .../status: the record moves to the body's status; an experiment notes when it
    started and ended."""
    def transition(tenant, record: dict, body) -> tuple[int, dict]:
        status = (body or {}).get("status")
        changes = {"status": status}
        now = iso(tenant.clock.now())
        if status == "active" and not record.get("started_at"):
            changes["started_at"] = now
        if status in ("completed", "archived") and "ended_at" in record:
            changes["ended_at"] = now
        return 200, store.update(tenant, resource_of(), record["id"], changes)
    return transition


def _validate(tenant, record: dict, body) -> tuple[int, dict]:
    """An experiment is valid when its flag exists and its allocations sum to 100 %."""
    errors = []
    if record.get("feature_flag_id") not in tenant.directory.resources.get(FEATURE_FLAGS, {}):
        errors.append({"code": "feature_flag_not_found", "message": "Feature flag not found."})
    allocations = [allocation for allocation in record.get("allocations") or [] if isinstance(allocation, dict)]
    if record.get("allocation_strategy") == "percentage" and \
            sum(allocation.get("weight", 0) for allocation in allocations) != 100:
        errors.append({"code": "invalid_allocations", "message": "Allocation weights must total 100."})
    return 200, {"is_valid": not errors, "errors": errors}


FLAG = Resource(FEATURE_FLAGS, "feature flag", new_id=_base58_id("flg"),
                defaults={"status": "draft", "type": "self"}, listing="checkpoint", list_key="feature_flags",
                not_found="Feature flag not found.", not_found_code="feature_flag_not_found",
                actions={"status": _transition(lambda: FLAG)}, **_STAMPS)
EXPERIMENT = Resource("/experimentation/experiments", "experiment", new_id=_base58_id("exp"),
                      defaults={"status": "draft", "is_valid": False, "started_at": None, "ended_at": None},
                      on_create=_experiment_flag_exists, listing="checkpoint", list_key="experiments",
                      not_found="Experiment not found.", not_found_code="experiment_not_found",
                      actions={"status": _transition(lambda: EXPERIMENT), "validate": _validate}, **_STAMPS)

RESOURCES = [
    FLAG,
    Resource(FEATURE_FLAGS + "/{id}/variations", "variation", new_id=_base58_id("var"), owner="id",
             owner_key="feature_flag_id", parent=_flag_exists, listing="wrapped", list_key="variations",
             not_found="Variation not found.", not_found_code="variation_not_found", **_STAMPS),
    Resource("/experimentation/segments", "segment", new_id=_base58_id("seg"), defaults={"type": "self"},
             listing="checkpoint", list_key="segments", not_found="Segment not found.",
             not_found_code="segment_not_found", **_STAMPS),
    EXPERIMENT,
    Resource("/verifiable-credentials/verification/templates", "verifiable credential template",
             id_prefix="vct", id_length=22, listing="checkpoint", list_key="templates",
             not_found="The verifiable credential template does not exist.", **_STAMPS),
]
