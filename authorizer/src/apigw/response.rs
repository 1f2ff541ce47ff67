//! The responses API Gateway expects from an authorizer, as typed values serialised
//! straight to JSON: the HTTP API 2.0 simple response, and the IAM policy response of REST
//! APIs and HTTP API 1.0. Members are written in sorted order, so the bytes are the same
//! as those of a sorted `serde_json::Value` (what earlier versions sent).

use serde::Serialize;
use serde_json::Value;

use super::iam::iam_statements;
use super::{MethodArn, Served, Shape};
use crate::decision::{Decision, Effect};
use crate::policy::Api;

/// What the Lambda returns to API Gateway for one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// HTTP API, payload format 2.0.
    Simple(SimpleResponse),
    /// REST API, HTTP API payload format 1.0, and events of no known shape.
    Iam(IamResponse),
}

impl Response {
    /// The response as a JSON value (for tools and tests that inspect it).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The context sent with the response, whatever its format.
    pub fn context(&self) -> &Context {
        match self {
            Response::Simple(r) => &r.context,
            Response::Iam(r) => &r.context,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimpleResponse {
    pub context: Context,
    #[serde(rename = "isAuthorized")]
    pub is_authorized: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IamResponse {
    pub context: Context,
    #[serde(rename = "policyDocument")]
    pub policy_document: PolicyDocument,
    #[serde(rename = "principalId")]
    pub principal_id: String,
}

/// The response context API Gateway hands to the integration (`$context.authorizer.*`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Context {
    #[serde(rename = "clientId", skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(rename = "policyRevision")]
    pub policy_revision: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    pub reason: &'static str,
    /// The granted scopes, space-separated.
    pub scopes: String,
    /// The policy view was not confirmed fresh within the staleness bound.
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub statement: Vec<Statement>,
    pub version: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IamEffect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub action: [&'static str; 1],
    pub effect: IamEffect,
    pub resource: Vec<String>,
}

impl Statement {
    pub fn new(effect: IamEffect, resource: Vec<String>) -> Self {
        Statement {
            action: ["execute-api:Invoke"],
            effect,
            resource,
        }
    }
}

fn context(decision: &Decision, served: Served) -> Context {
    Context {
        client_id: decision.principal.clone(),
        policy_revision: decision.revision,
        principal: decision.principal.clone(),
        reason: decision.reason.as_str(),
        scopes: decision.scopes.join(" "),
        stale: served.stale,
    }
}

pub(super) fn build_response(
    shape: Option<Shape>,
    arn: Option<&MethodArn<'_>>,
    api: Option<&Api>,
    decision: &Decision,
    served: Served,
) -> Response {
    let context = context(decision, served);
    if shape == Some(Shape::HttpV2) {
        return Response::Simple(SimpleResponse {
            context,
            is_authorized: decision.effect == Effect::Allow,
        });
    }
    // An event of no known shape was denied before any route was read: its response must
    // deny too, or the public routes' Allow would cover the very request it denied.
    let statement = match shape {
        Some(_) => iam_statements(arn, api, decision),
        None => vec![Statement::new(IamEffect::Deny, vec!["*".into()])],
    };
    Response::Iam(IamResponse {
        context,
        policy_document: PolicyDocument {
            statement,
            version: "2012-10-17",
        },
        principal_id: decision
            .principal
            .clone()
            .unwrap_or_else(|| "anonymous".into()),
    })
}
