"""/api/v2 routes of core/applications: clients, connections, resource servers, client grants."""
