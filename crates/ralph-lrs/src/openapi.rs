//! The OpenAPI 3 description of the LRS routes, served at `/openapi.json`.

use serde_json::{Value, json};

fn param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn version_header() -> Value {
    json!({
        "name": "X-Experience-API-Version", "in": "header", "required": true,
        "description": "xAPI version of the request: 1.0.x or 2.0.x",
        "schema": { "type": "string", "example": "1.0.3" }
    })
}

fn statement_body() -> Value {
    json!({
        "required": true,
        "content": { "application/json": { "schema": { "oneOf": [
            { "$ref": "#/components/schemas/Statement" },
            { "type": "array", "minItems": 1, "items": { "$ref": "#/components/schemas/Statement" } }
        ] } } }
    })
}

fn required_param(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": true, "description": description, "schema": schema })
}

/// The operations of a document resource scoped by `scope` parameters, with `id` naming one
/// document (`stateId`, `profileId`).
fn document_resource(what: &str, scope: &[Value], id: &str, multi_delete: bool) -> Value {
    let string = json!({ "type": "string" });
    let with = |extra: Vec<Value>| {
        let mut all = vec![version_header()];
        all.extend(scope.iter().cloned());
        all.extend(extra);
        Value::Array(all)
    };
    let id_param = |required: bool| {
        if required {
            required_param(id, "the document id", string.clone())
        } else {
            param(
                id,
                "the document id; without it, the ids of the documents in scope",
                string.clone(),
            )
        }
    };
    let conditions = [
        json!({ "name": "If-Match", "in": "header", "required": false, "description": "the quoted ETag the stored document must have, or `*`", "schema": { "type": "string" } }),
        json!({ "name": "If-None-Match", "in": "header", "required": false, "description": "`*`: only when no document is stored", "schema": { "type": "string" } }),
    ];
    let write_params = |required_id: bool| {
        let mut extra = vec![id_param(required_id)];
        extra.extend(conditions.iter().cloned());
        with(extra)
    };
    let common = |responses: Value| {
        let mut map = responses.as_object().cloned().unwrap_or_default();
        map.insert("400".into(), error("invalid parameter or body"));
        map.insert("401".into(), error("missing or wrong credentials"));
        map.insert("403".into(), error("scope missing"));
        Value::Object(map)
    };
    let get = json!({
        "summary": format!("Get one {what} document, or the ids of the documents in scope"),
        "security": [{ "basic": [] }],
        "parameters": with(vec![
            id_param(false),
            param("since", "only ids of documents written after this time", json!({ "type": "string", "format": "date-time" })),
        ]),
        "responses": common(json!({
            "200": {
                "description": "the document as stored (with `ETag` and `Last-Modified`), or a JSON array of ids",
                "content": { "*/*": {}, "application/json": { "schema": { "type": "array", "items": { "type": "string" } } } }
            },
            "404": error("no such document")
        }))
    });
    let head = json!({
        "summary": "Same as GET, without a body",
        "security": [{ "basic": [] }],
        "parameters": get["parameters"].clone(),
        "responses": { "200": { "description": "the document or list exists" } }
    });
    let put = json!({
        "summary": format!("Store a {what} document"),
        "security": [{ "basic": [] }],
        "parameters": write_params(true),
        "requestBody": { "required": true, "content": { "*/*": {} } },
        "responses": common(json!({
            "204": { "description": "stored" },
            "409": error("a document exists and the request has neither `If-Match` nor `If-None-Match`"),
            "412": error("`If-Match` / `If-None-Match` does not hold")
        }))
    });
    let post = json!({
        "summary": format!("Merge a JSON object into a {what} document"),
        "security": [{ "basic": [] }],
        "parameters": write_params(true),
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object" } } } },
        "responses": common(json!({
            "204": { "description": "merged" },
            "412": error("`If-Match` / `If-None-Match` does not hold")
        }))
    });
    let delete = json!({
        "summary": if multi_delete {
            format!("Delete one {what} document, or every one in scope")
        } else {
            format!("Delete a {what} document")
        },
        "security": [{ "basic": [] }],
        "parameters": write_params(!multi_delete),
        "responses": common(json!({
            "204": { "description": "deleted" },
            "412": error("`If-Match` does not hold")
        }))
    });
    json!({ "get": get, "head": head, "put": put, "post": post, "delete": delete })
}

/// The OpenAPI 3.1 document of the LRS: every route, its parameters, bodies and answers.
pub fn document() -> Value {
    let string = json!({ "type": "string" });
    let boolean = json!({ "type": "boolean", "default": false });
    let uuid = json!({ "type": "string", "format": "uuid" });
    let time = json!({ "type": "string", "format": "date-time" });
    let get_params = json!([
        version_header(),
        param(
            "statementId",
            "the statement with this id (not voided)",
            uuid.clone()
        ),
        param(
            "voidedStatementId",
            "the voided statement with this id",
            uuid.clone()
        ),
        param(
            "agent",
            "JSON agent or identified group: the actor or object",
            string.clone()
        ),
        param("verb", "verb id", string.clone()),
        param("activity", "object activity id", string.clone()),
        param("registration", "context registration", uuid),
        param(
            "related_activities",
            "`activity` also matches context and sub-statement activities",
            boolean.clone()
        ),
        param(
            "related_agents",
            "`agent` also matches authority, instructor, team, members, sub-statement agents",
            boolean.clone()
        ),
        param("since", "stored strictly after", time.clone()),
        param("until", "stored at or before", time),
        param(
            "limit",
            "page size; 0 is the server maximum",
            json!({ "type": "integer", "minimum": 0 })
        ),
        param(
            "format",
            "statement format",
            json!({ "type": "string", "enum": ["exact", "ids", "canonical"], "default": "exact" })
        ),
        param(
            "attachments",
            "answer `multipart/mixed`: the statements, then the content of their attachments",
            boolean.clone()
        ),
        param("ascending", "oldest first", boolean.clone()),
        param(
            "mine",
            "only statements whose authority is the user",
            boolean.clone()
        ),
        param("cursor", "set in `more` links", string),
    ]);
    let get = json!({
        "summary": "Get one statement or a page of statements",
        "security": [{ "basic": [] }],
        "parameters": get_params,
        "responses": {
            "200": {
                "description": "the statement (by id) or a page of statements",
                "content": { "application/json": { "schema": { "oneOf": [
                    { "$ref": "#/components/schemas/Statement" },
                    { "$ref": "#/components/schemas/StatementResult" }
                ] } } }
            },
            "400": error("invalid parameter"),
            "401": error("missing or wrong credentials"),
            "403": error("scope missing"),
            "404": error("no statement with this id")
        }
    });
    let head = json!({
        "summary": "Same as GET, without a body",
        "security": [{ "basic": [] }],
        "parameters": get["parameters"].clone(),
        "responses": { "200": { "description": "the statement or page exists" } }
    });
    let post = json!({
        "summary": "Store a statement or a list of statements",
        "security": [{ "basic": [] }],
        "parameters": [
            version_header(),
            param("partialSuccess", "store the valid statements and report the others (default: `LRS_PARTIAL_SUCCESS_DEFAULT`)", json!({ "type": "boolean" })),
            param("ignoreInvalid", "alias of `partialSuccess=true`", boolean)
        ],
        "requestBody": statement_body(),
        "responses": {
            "200": {
                "description": "ids of the statements newly stored, or the partial-success report",
                "content": { "application/json": { "schema": { "oneOf": [
                    { "type": "array", "items": { "type": "string", "format": "uuid" } },
                    { "$ref": "#/components/schemas/PartialSuccess" }
                ] } } }
            },
            "204": { "description": "all statements were already stored identically" },
            "400": error("invalid statement or body"),
            "401": error("missing or wrong credentials"),
            "403": error("scope missing"),
            "409": error("a different statement is stored with the same id"),
            "413": error("the body is too large")
        }
    });
    let put = json!({
        "summary": "Store one statement under the given id",
        "security": [{ "basic": [] }],
        "parameters": [
            version_header(),
            { "name": "statementId", "in": "query", "required": true, "schema": { "type": "string", "format": "uuid" } }
        ],
        "requestBody": {
            "required": true,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Statement" } } }
        },
        "responses": {
            "204": { "description": "stored, or already stored identically" },
            "400": error("invalid statement, or id different from `statementId`"),
            "401": error("missing or wrong credentials"),
            "403": error("scope missing"),
            "409": error("a different statement is stored with the same id"),
            "413": error("the body is too large")
        }
    });
    let statements = json!({ "get": get, "head": head, "post": post, "put": put });
    let activity_id = required_param(
        "activityId",
        "the activity IRI",
        json!({ "type": "string", "format": "iri" }),
    );
    let agent = required_param(
        "agent",
        "JSON agent or identified group",
        json!({ "type": "string" }),
    );
    let state = document_resource(
        "state",
        &[
            activity_id.clone(),
            agent.clone(),
            param(
                "registration",
                "the registration of the states",
                json!({ "type": "string", "format": "uuid" }),
            ),
        ],
        "stateId",
        true,
    );
    let activity_profile = document_resource(
        "activity profile",
        std::slice::from_ref(&activity_id),
        "profileId",
        false,
    );
    let agent_profile = document_resource(
        "agent profile",
        std::slice::from_ref(&agent),
        "profileId",
        false,
    );
    let activities = json!({ "get": {
        "summary": "The definition of an activity, merged from the statements about it",
        "security": [{ "basic": [] }],
        "parameters": [version_header(), activity_id],
        "responses": {
            "200": { "description": "an Activity object", "content": { "application/json": { "schema": { "type": "object" } } } },
            "400": error("invalid parameter"),
            "401": error("missing or wrong credentials")
        }
    } });
    let agents = json!({ "get": {
        "summary": "The Person object of an agent, with the names statements give it",
        "security": [{ "basic": [] }],
        "parameters": [version_header(), agent],
        "responses": {
            "200": { "description": "a Person object", "content": { "application/json": { "schema": { "type": "object" } } } },
            "400": error("invalid parameter"),
            "401": error("missing or wrong credentials")
        }
    } });
    let about = json!({ "get": {
        "summary": "xAPI versions and extensions of the LRS",
        "responses": { "200": { "description": "about", "content": { "application/json": { "schema": {
            "type": "object",
            "properties": {
                "version": { "type": "array", "items": { "type": "string" } },
                "extensions": { "type": "object" }
            }
        } } } } }
    } });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ralph LRS",
            "description": "xAPI Learning Record Store of ralph: statements (with attachments and signatures), documents, activities, agents",
            "version": env!("CARGO_PKG_VERSION")
        },
        "paths": {
            "/xAPI/statements": statements.clone(),
            "/xAPI/statements/": statements,
            "/xAPI/activities/state": state,
            "/xAPI/activities/profile": activity_profile,
            "/xAPI/agents/profile": agent_profile,
            "/xAPI/activities": activities,
            "/xAPI/agents": agents,
            "/xAPI/about": about,
            "/whoami": { "get": {
                "summary": "The authenticated user: agent and scopes",
                "security": [{ "basic": [] }],
                "responses": {
                    "200": { "description": "the user", "content": { "application/json": { "schema": {
                        "type": "object",
                        "properties": {
                            "agent": { "type": "object" },
                            "scopes": { "type": "array", "items": { "type": "string" } }
                        }
                    } } } },
                    "401": error("missing or wrong credentials")
                }
            } },
            "/admin/statements/delete": { "post": {
                "summary": "Delete the statements matching a filter (GDPR, retention); needs scope `admin/delete`",
                "security": [{ "basic": [] }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object",
                    "additionalProperties": false,
                    "description": "At least one of agent, verb, activity, registration, since, until",
                    "properties": {
                        "agent": { "type": "object", "description": "anywhere in the statement or its StatementRef targets" },
                        "verb": { "type": "string" },
                        "activity": { "type": "string" },
                        "registration": { "type": "string", "format": "uuid" },
                        "since": { "type": "string", "format": "date-time", "description": "stored strictly after" },
                        "until": { "type": "string", "format": "date-time", "description": "stored at or before" },
                        "dry_run": { "type": "boolean", "default": false },
                        "documents": { "type": "boolean", "default": false, "description": "also the agent's states and agent profiles" }
                    }
                } } } },
                "responses": {
                    "200": { "description": "`{\"matched\": N, \"deleted\": M}` (and `documents` when asked)" },
                    "400": error("empty or invalid filter"),
                    "401": error("missing or wrong credentials"),
                    "403": error("no `admin/delete` scope")
                }
            } },
            "/admin/agents/pseudonymize": { "post": {
                "summary": "Replace an agent by its pseudonymous account in every statement; needs scope `admin/delete`",
                "security": [{ "basic": [] }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["agent"],
                    "properties": {
                        "agent": { "type": "object" },
                        "dry_run": { "type": "boolean", "default": false }
                    }
                } } } },
                "responses": {
                    "200": { "description": "`{\"matched\": N, \"pseudonymized\": M, \"pseudonym\": {...}}`" },
                    "400": error("invalid agent, or no `LRS_PSEUDONYM_KEY`"),
                    "401": error("missing or wrong credentials"),
                    "403": error("no `admin/delete` scope")
                }
            } },
            "/__heartbeat__": { "get": {
                "summary": "Store status",
                "responses": {
                    "200": { "description": "`{\"database\": \"ok\"}`" },
                    "500": { "description": "`{\"database\": \"away\"}` or `{\"database\": \"error\"}`" }
                }
            } },
            "/__lbheartbeat__": { "get": {
                "summary": "The server answers",
                "responses": { "200": { "description": "`null`" } }
            } },
            "/openapi.json": { "get": {
                "summary": "This document",
                "responses": { "200": { "description": "OpenAPI 3.1 document" } }
            } }
        },
        "components": {
            "securitySchemes": {
                "basic": { "type": "http", "scheme": "basic" }
            },
            "schemas": {
                "Statement": {
                    "type": "object",
                    "description": "an xAPI statement",
                    "required": ["actor", "verb", "object"],
                    "properties": {
                        "id": { "type": "string", "format": "uuid" },
                        "actor": { "type": "object" },
                        "verb": { "type": "object" },
                        "object": { "type": "object" },
                        "result": { "type": "object" },
                        "context": { "type": "object" },
                        "timestamp": { "type": "string", "format": "date-time" },
                        "stored": { "type": "string", "format": "date-time" },
                        "authority": { "type": "object" },
                        "version": { "type": "string" },
                        "attachments": { "type": "array", "items": { "type": "object" } }
                    }
                },
                "StatementResult": {
                    "type": "object",
                    "properties": {
                        "statements": { "type": "array", "items": { "$ref": "#/components/schemas/Statement" } },
                        "more": { "type": "string", "description": "link to the next page, or empty" }
                    }
                },
                "PartialSuccess": {
                    "type": "object",
                    "properties": {
                        "inserted": { "type": "integer" },
                        "rejected": { "type": "integer" },
                        "ids": { "type": "array", "items": { "type": "string" } },
                        "errors": { "type": "array", "items": {
                            "type": "object",
                            "properties": { "index": { "type": "integer" }, "reason": { "type": "string" } }
                        } }
                    }
                },
                "Error": {
                    "type": "object",
                    "properties": { "detail": { "type": "string" } }
                }
            }
        }
    })
}
