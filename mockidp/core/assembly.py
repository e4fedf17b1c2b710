"""Builds a Tenant: the shared base (core/tenant/), then each domain's part, then the fixtures.

The only place that knows every part of a tenant. Order matters where parts listen to each
other: the directory's account changes exist before login subscribes to them.
"""
from __future__ import annotations

from .actions.executions import ActionRuns
from .applications.resource_servers import ResourceServerChanges
from .authorization import install as install_authorization
from .directory.changes import AccountChanges
from .directory.records import Directory, LinkedAccount, UserRecord
from .email.mailroom import Mailroom, startup_email_settings
from .fixtures.populate import populate
from .login import install as install_login
from .logs.stream import install_event_stream
from .organizations import install as install_organizations
from .tenant.tenant import Tenant, TenantConfig
from .tokens import encryption_keys
from .tokens.jwt import VerifiedTokens
from .tokens.keyring import install_keyring
from .traffic.controls import install_traffic


def build_tenant(config: TenantConfig) -> Tenant:
    tenant = Tenant(config)
    tenant.verified_tokens = VerifiedTokens()
    tenant.verified_userinfo_tokens = VerifiedTokens()
    # Caches, not state: a reset empties them, so that a server reset before every test (the
    # pytest plugin) holds only the tokens of the current test (bench/bench_soak.py).
    tenant.on_reset(tenant.verified_tokens.clear)
    tenant.on_reset(tenant.verified_userinfo_tokens.clear)
    tenant.keys = install_keyring(tenant, _forget_verified_tokens(tenant))
    tenant.traffic = install_traffic(tenant)
    tenant.mailroom = Mailroom(tenant, startup_email_settings(config.fixture))
    tenant.actions = ActionRuns(tenant)
    tenant.account_changes = AccountChanges()
    tenant.resource_server_changes = ResourceServerChanges()
    install_authorization(tenant)
    install_login(tenant)
    install_organizations(tenant)
    install_event_stream(tenant)
    tenant.directory = Directory()
    populate(tenant, config.fixture)
    # After the fixtures, so their ids do not move; before the seal, so reset returns to these keys.
    encryption_keys.install(tenant)
    _reset_directory_to_what_was_loaded(tenant)
    tenant.seal()
    return tenant


def _forget_verified_tokens(tenant: Tenant):
    def forget() -> None:
        tenant.verified_tokens.clear()
        tenant.verified_userinfo_tokens.clear()

    return forget


def _reset_directory_to_what_was_loaded(tenant: Tenant) -> None:
    # Stored records are never mutated in place, so a shallow copy of the indexes is a snapshot.
    pristine = tenant.directory.snapshot()

    def restore() -> None:
        tenant.directory = pristine.snapshot()

    tenant.on_reset(restore)
    tenant.on_snapshot(lambda: tenant.directory.snapshot(),
                       lambda captured: setattr(tenant, "directory", captured.snapshot()),
                       types=(Directory, UserRecord, LinkedAccount))
