"""traffic/: the test controls applied to requests on arrival: latency, faults and barriers,
and the route patterns they match.

May import: tenant only. Knows nothing of Auth0's domains."""
