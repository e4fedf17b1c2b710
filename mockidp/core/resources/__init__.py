"""resources/: the plain CRUD shape of the Management API in one declarative home.

A resource is declared in a few lines (catalog/): the path that names it, whether it is a
collection or a singleton, its id prefix, the keys Auth0 adds on create (its defaults), its
listing style and its 404/409 wording. store.py gives every declared resource the same
create/read/list/update/replace/delete on `tenant.directory.resources`, never mutating a stored
record; hand-written behaviour (a custom domain's verification record, a revoked session) is a
hook named in the declaration. Declarations load on first use (catalog.declared()), so they
cost start-up nothing.

May import: login, organizations, directory, tokens, applications, tenant."""
