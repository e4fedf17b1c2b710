"""Pure-function tests of the Auth0 user-search (v3) query compiler."""
import pytest

from mockidp.core.directory.search import QuerySyntaxError, compile_user_query

ALICE = {
    "user_id": "auth0|alice", "email": "Alice.Smith@Example.com", "email_verified": True,
    "name": "Alice Smith", "given_name": "Alice", "family_name": "Smith", "nickname": "alice",
    "username": "alice01", "blocked": False, "logins_count": 3,
    "created_at": "2023-01-25T19:00:27.084Z", "last_login": "2023-02-01T10:00:00.000Z",
    "identities": [{"connection": "Username-Password-Authentication", "provider": "auth0",
                    "user_id": "alice", "isSocial": False}],
    "app_metadata": {"plan": "pro", "roles": ["admin", "editor"], "tier": 2,
                     "block_unverified_pw_reset": True},
    "user_metadata": {"full_name": "Alice Q. Smith", "display": {"fontSize": 13},
                      "addresses": {"cities": ["Paris", "Rome"]}},
}
BOB = {
    "user_id": "google-oauth2|bob", "email": "bob@gmail.com", "email_verified": True,
    "name": "Bob Jones", "nickname": "bobby", "logins_count": 0,
    "created_at": "2023-06-15T08:30:00.000Z",
    "identities": [{"connection": "google-oauth2", "provider": "google-oauth2",
                    "user_id": "bob", "isSocial": True}],
    "app_metadata": {"plan": "Pro", "roles": ["viewer"]},
    "user_metadata": {"display": {"fontSize": 11}, "addresses": {"cities": []}},
}
CAROL = {  # never logged in: no logins_count, no app_metadata
    "user_id": "auth0|carol", "email": "carol@example.org", "email_verified": False,
    "name": "carol@example.org", "nickname": "carol", "blocked": True,
    "created_at": "2023-12-31T23:59:59.999Z",
    "identities": [{"connection": "Username-Password-Authentication", "provider": "auth0",
                    "user_id": "carol", "isSocial": False}],
    "user_metadata": {"full_name": None, "tags": []},
}
DAVE = {
    "user_id": "auth0|dave", "email": "dave.test@example.com", "email_verified": True,
    "name": "Dave Test-Pilot", "nickname": "davet", "blocked": False, "logins_count": 12,
    "created_at": "2024-01-01T00:00:00.000Z",
    "identities": [{"connection": "Username-Password-Authentication", "provider": "auth0",
                    "user_id": "dave", "isSocial": False}],
    "app_metadata": {"plan": "free", "roles": [], "flags": {}},
    "user_metadata": {},
}
USERS = [ALICE, BOB, CAROL, DAVE]
EVERYONE = {"auth0|alice", "google-oauth2|bob", "auth0|carol", "auth0|dave"}


def matching_ids(q):
    query = compile_user_query(q)
    return {user["user_id"] for user in USERS if query.matches(user)}


def assert_matches(q, *expected_ids):
    assert matching_ids(q) == set(expected_ids), q


# --- field values, case sensitivity, phrases ----------------------------------------------------

@pytest.mark.parametrize("q", ['email:"alice.smith@example.com"', "email:ALICE.SMITH@EXAMPLE.COM"])
def test_email_matches_exactly_ignoring_case(q):
    assert_matches(q, "auth0|alice")


def test_email_does_not_match_a_substring():
    assert_matches("email:alice", )
    assert_matches('email:"example.com"', )


def test_quoted_phrase_must_equal_the_whole_value():
    assert_matches('name:"ALICE SMITH"', "auth0|alice")
    assert_matches('name:"alice"', )


def test_unquoted_word_matches_one_word_of_a_normalized_field():
    assert_matches("name:smith", "auth0|alice")
    assert_matches("family_name:SMITH", "auth0|alice")
    assert_matches("name:smi", )


def test_metadata_strings_are_case_sensitive():
    assert_matches('app_metadata.plan:"pro"', "auth0|alice")
    assert_matches("app_metadata.plan:Pro", "google-oauth2|bob")
    assert_matches('user_metadata.full_name:"alice q. smith"', )


@pytest.mark.parametrize("q", ['user_id:"auth0|alice"', r"user_id:auth0\|alice"])
def test_user_id_with_a_quoted_or_escaped_pipe(q):
    assert_matches(q, "auth0|alice")


def test_user_id_is_case_sensitive():
    assert_matches(r"user_id:AUTH0\|alice", )


def test_email_domain_is_the_part_after_the_at_sign():
    assert_matches('email.domain:"example.com"', "auth0|alice", "auth0|dave")
    assert_matches("email.domain:EXAMPLE.ORG", "auth0|carol")


def test_identities_fields_match_any_identity():
    assert_matches('identities.connection:"google-oauth2"', "google-oauth2|bob")
    assert_matches("identities.provider:auth0", "auth0|alice", "auth0|carol", "auth0|dave")
    assert_matches("identities.user_id:bob", "google-oauth2|bob")
    assert_matches("identities.isSocial:false", "auth0|alice", "auth0|carol", "auth0|dave")


# --- metadata paths, arrays, typed values ----------------------------------------------------------

def test_nested_metadata_paths():
    assert_matches("user_metadata.display.fontSize:13", "auth0|alice")
    assert_matches('user_metadata.full_name:"Alice Q. Smith"', "auth0|alice")
    assert_matches("user_metadata.display:13", )  # an object is not a value


def test_arrays_match_by_element():
    assert_matches('app_metadata.roles:"admin"', "auth0|alice")
    assert_matches("app_metadata.roles:editor", "auth0|alice")
    assert_matches('user_metadata.addresses.cities:"Rome"', "auth0|alice")


def test_booleans_match_json_booleans_only():
    assert_matches("email_verified:false", "auth0|carol")
    assert_matches("blocked:true", "auth0|carol")
    assert_matches("app_metadata.block_unverified_pw_reset:true", "auth0|alice")
    assert_matches('app_metadata.plan:true', )


def test_numbers_match_numerically():
    assert_matches("logins_count:3", "auth0|alice")
    assert_matches("logins_count:0", "google-oauth2|bob")
    assert_matches("app_metadata.tier:2.0", "auth0|alice")


# --- _exists_ --------------------------------------------------------------------------------------

def test_exists_and_its_negation():
    assert_matches("_exists_:logins_count", "auth0|alice", "google-oauth2|bob", "auth0|dave")
    assert_matches("NOT _exists_:logins_count", "auth0|carol")
    assert_matches("NOT _exists_:logins_count OR logins_count:0", "google-oauth2|bob", "auth0|carol")


def test_exists_ignores_null_and_empty_arrays_and_objects():
    assert_matches("_exists_:app_metadata.roles", "auth0|alice", "google-oauth2|bob")
    assert_matches("_exists_:user_metadata.full_name", "auth0|alice")
    assert_matches("_exists_:user_metadata.tags", )
    assert_matches("_exists_:app_metadata.flags", )
    assert_matches("_exists_:user_metadata.display", "auth0|alice", "google-oauth2|bob")
    assert_matches("_exists_:user_metadata", "auth0|alice", "google-oauth2|bob")


def test_field_star_means_exists():
    assert_matches("logins_count:*", "auth0|alice", "google-oauth2|bob", "auth0|dave")


# --- wildcards -------------------------------------------------------------------------------------

def test_prefix_wildcard_ignores_case_on_normalized_fields():
    assert_matches("email:ALICE*", "auth0|alice")
    assert_matches("nickname:bob*", "google-oauth2|bob")


def test_leading_and_infix_wildcards():
    assert_matches("email:*@example.com", "auth0|alice", "auth0|dave")
    assert_matches("name:*test*", "auth0|dave")
    assert_matches("name:ali?e", "auth0|alice")


def test_wildcard_on_app_metadata_is_case_sensitive():
    assert_matches("app_metadata.plan:P*", "google-oauth2|bob")
    assert_matches("app_metadata.plan:p*", "auth0|alice")


def test_wildcard_inside_quotes_is_literal():
    assert_matches('email:"alice*"', )


# --- ranges ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("q, expected", [
    ("logins_count:[1 TO 12]", {"auth0|alice", "auth0|dave"}),
    ("logins_count:{3 TO 12]", {"auth0|dave"}),
    ("logins_count:[0 TO 3}", {"google-oauth2|bob"}),
    ("logins_count:[* TO 3]", {"google-oauth2|bob", "auth0|alice"}),
    ("logins_count:{3 TO *]", {"auth0|dave"}),
    ("logins_count:>=3", {"auth0|alice", "auth0|dave"}),
    ("logins_count:<3", {"google-oauth2|bob"}),
])
def test_numeric_ranges(q, expected):
    assert matching_ids(q) == expected


@pytest.mark.parametrize("q, expected", [
    # an inclusive upper bound that is a bare date covers that whole day
    ("created_at:[2023-01-25 TO 2023-06-15]", {"auth0|alice", "google-oauth2|bob"}),
    ("created_at:[* TO 2023-12-31]", {"auth0|alice", "google-oauth2|bob", "auth0|carol"}),
    ("created_at:[* TO 2023-12-31}", {"auth0|alice", "google-oauth2|bob"}),
    # an exclusive lower bound that is a bare date starts after that day
    ("created_at:{2023-01-25 TO *]", {"google-oauth2|bob", "auth0|carol", "auth0|dave"}),
    ("created_at:[2023-12-31T23:59:59.999Z TO 2024-01-01T00:00:00Z]", {"auth0|carol", "auth0|dave"}),
    ("created_at:{2023-12-31T23:59:59.999Z TO 2024-01-01T00:00:00.000Z}", set()),
    # an offset's ":" is reserved by the query syntax, so such bounds are quoted
    ('created_at:["2023-06-15T10:00:00+02:00" TO "2023-06-15T10:30:00+02:00"]', {"google-oauth2|bob"}),
    ("created_at:2023-06-15", {"google-oauth2|bob"}),
    ("created_at:>=2024-01-01", {"auth0|dave"}),
])
def test_date_ranges_compare_instants(q, expected):
    assert matching_ids(q) == expected


def test_string_range_on_metadata_is_lexicographic():
    assert_matches("app_metadata.plan:[a TO m]", "auth0|dave")


# --- boolean logic ---------------------------------------------------------------------------------

def test_implicit_operator_is_or():
    assert_matches("nickname:alice nickname:bobby", "auth0|alice", "google-oauth2|bob")


def test_required_and_prohibited_clauses():
    assert_matches("+email.domain:example.com -nickname:davet", "auth0|alice")
    assert_matches("+nickname:alice nickname:bobby", "auth0|alice")
    assert_matches("-blocked:true", "auth0|alice", "google-oauth2|bob", "auth0|dave")


def test_and_or_not_and_grouping():
    assert_matches("name:alice AND app_metadata.plan:pro", "auth0|alice")
    assert_matches("(nickname:alice OR nickname:carol) AND email_verified:true", "auth0|alice")
    assert_matches("email.domain:example.com AND NOT nickname:davet", "auth0|alice")


def test_field_grouping():
    assert_matches('name:("alice smith" OR "bob jones")', "auth0|alice", "google-oauth2|bob")
    assert_matches("logins_count:(>=1 AND <5)", "auth0|alice")


def test_boost_does_not_change_what_matches():
    assert_matches("nickname:alice^2", "auth0|alice")


# --- unqualified terms and match-all ---------------------------------------------------------------

def test_unqualified_terms_search_profile_fields():
    assert_matches("ALICE", "auth0|alice")
    assert_matches("bob@gmail.com", "google-oauth2|bob")
    assert_matches("alice01", "auth0|alice")
    assert_matches(r"auth0\|carol", "auth0|carol")


def test_unqualified_terms_do_not_search_metadata():
    assert_matches("Paris", )
    assert_matches("pro", )


@pytest.mark.parametrize("q", ["*", "", "   ", "*:*"])
def test_match_everyone(q):
    assert matching_ids(q) == EVERYONE


# --- exact_emails ----------------------------------------------------------------------------------

@pytest.mark.parametrize("q, emails", [
    ('email:"Alice.Smith@Example.com"', {"alice.smith@example.com"}),
    ("email:bob@gmail.com", {"bob@gmail.com"}),
    ('email:("a@b.com" OR "C@D.com")', {"a@b.com", "c@d.com"}),
    ('email:("a@b.com" "c@d.com")', {"a@b.com", "c@d.com"}),
    ('email:"a@b.com" AND blocked:false', {"a@b.com"}),
    ('blocked:false AND (email:"a@b.com" OR email:"c@d.com")', {"a@b.com", "c@d.com"}),
    ('email:"a@b.com" AND email:"c@d.com"', set()),
])
def test_exact_emails_for_email_restricted_queries(q, emails):
    assert compile_user_query(q).exact_emails == frozenset(emails)


@pytest.mark.parametrize("q", [
    'email:"a@b.com" OR name:x', 'NOT email:"a@b.com"', "-email:a@b.com", "email:a*",
    "name:x", "email.domain:b.com", "a@b.com", "*", "", "_exists_:email",
])
def test_exact_emails_is_none_otherwise(q):
    assert compile_user_query(q).exact_emails is None


@pytest.mark.parametrize("q", [
    "email:alice.smith@example.com", 'email:("bob@gmail.com" OR "carol@example.org")',
    'email:"dave.test@example.com" AND logins_count:12',
])
def test_exact_emails_agree_with_matches(q):
    query = compile_user_query(q)
    matched = [u for u in USERS if query.matches(u)]
    assert matched
    assert all(u["email"].lower() in query.exact_emails for u in matched)


# --- rejected queries ------------------------------------------------------------------------------

@pytest.mark.parametrize("q", [
    'name:"jane', "(name:jane", "name:jane)", "AND", "name:", "name:jane~", '"jane doe"~2',
    "name:/ja.e/", "logins_count:abc", "logins_count:[1 TO many]", "created_at:[yesterday TO *]",
    "created_at:2023-13-01", "blocked:maybe", "name:a && name:b", "user_id:auth0:abc",
    "name:*sa", "logins_count:1*", "blocked:[false TO true]",
])
def test_invalid_queries_raise(q):
    with pytest.raises(QuerySyntaxError) as raised:
        compile_user_query(q)
    assert isinstance(raised.value, ValueError)
    assert str(raised.value)


@pytest.mark.parametrize("q", [
    "user_metadata.full_name:Ali*", "user_metadata.display.fontSize:[1 TO 20]",
    "user_metadata.display.fontSize:>10", "user_metadata.full_name:*",
])
def test_wildcards_and_ranges_on_user_metadata_are_rejected(q):
    with pytest.raises(QuerySyntaxError, match="user_metadata"):
        compile_user_query(q)


def test_wildcards_and_ranges_on_app_metadata_are_allowed():
    assert_matches("app_metadata.tier:[1 TO 5]", "auth0|alice")
    assert_matches("app_metadata.roles:adm*", "auth0|alice")


def test_dates_stored_in_other_iso_forms_are_compared_as_instants():
    user = {"user_id": "auth0|erin", "last_login": "2023-02-01T12:00:00+02:00"}
    assert compile_user_query("last_login:[2023-02-01T10:00:00Z TO 2023-02-01T10:00:00Z]").matches(user)
    assert not compile_user_query("last_login:{2023-02-01T10:00:00Z TO *]").matches(user)
    assert compile_user_query("last_login:2023-02-01").matches(user)
