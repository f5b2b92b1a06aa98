//! The shop's HTTP API as data: every [`Endpoint`] with its rate, callers,
//! latency profile and error statuses. The hot paths take most of the
//! traffic, `POST /orders` is slow (it fans out to payment, users, carts and
//! shipping) and `POST /paymentAuth` fails often, more so during an incident
//! window two thirds into the span.

use crate::http_bodies::Body;
use crate::traffic::Flow;
use crate::world::{EXT_MAIL, EXT_PAYMENT_GW, World};

pub(crate) struct Endpoint {
    /// A service name, or `ext:payment-gw` / `ext:mail`.
    pub server: &'static str,
    pub method: &'static str,
    /// With `{sock}`, `{customer}`, `{address}`, `{card}`, `{order}`, `{session}`.
    pub path: &'static str,
    /// Requests per second (relative).
    pub rate: f64,
    pub callers: &'static [(&'static str, f64)],
    pub median_ms: f64,
    pub sigma: f64,
    pub ok: i64,
    /// (status, probability).
    pub errors: &'static [(i64, f64)],
    /// Errors and latency surge during the incident window.
    pub incident: bool,
    pub req: Body,
    pub resp: Body,
    pub grpc: bool,
}

// A positional constructor keeps the endpoint table one line per endpoint.
#[allow(clippy::too_many_arguments)]
const fn ep(
    server: &'static str,
    method: &'static str,
    path: &'static str,
    rate: f64,
    callers: &'static [(&'static str, f64)],
    median_ms: f64,
    req: Body,
    resp: Body,
) -> Endpoint {
    Endpoint {
        server,
        method,
        path,
        rate,
        callers,
        median_ms,
        sigma: 0.55,
        ok: 200,
        errors: &[],
        incident: false,
        req,
        resp,
        grpc: false,
    }
}

const USERS: &[(&str, f64)] = &[("external", 0.55), ("load-test", 0.45)];
const FRONTEND: &[(&str, f64)] = &[("frontend", 1.0)];
const ORDERS: &[(&str, f64)] = &[("orders", 1.0)];
const KUBELET: &[(&str, f64)] = &[("kubelet", 1.0)];
const PAYMENT: &[(&str, f64)] = &[("payment", 1.0)];
const E: Body = Body::Empty;

// One endpoint per line reads as a table; rustfmt would spread each over
// a dozen lines.
#[rustfmt::skip]
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    // frontend (node): what browsers and the load generator call.
    ep("frontend", "GET", "/", 6.0, USERS, 2.2, E, Body::Html),
    ep("frontend", "GET", "/catalogue?page=1&size=6&tags=", 16.0, USERS, 9.0, E, Body::SockList),
    Endpoint { errors: &[(404, 0.012)], ..ep("frontend", "GET", "/catalogue/{sock}", 22.0, USERS, 6.5, E, Body::Sock) },
    ep("frontend", "GET", "/cart", 11.0, USERS, 8.0, E, Body::Cart),
    Endpoint { ok: 201, ..ep("frontend", "POST", "/cart", 5.0, USERS, 15.0, Body::CartAdd, E) },
    Endpoint { ok: 202, ..ep("frontend", "DELETE", "/cart/{sock}", 1.2, USERS, 12.0, E, E) },
    Endpoint { errors: &[(401, 0.07)], ..ep("frontend", "GET", "/login", 2.5, USERS, 70.0, E, Body::Login) },
    Endpoint {
        ok: 201, sigma: 0.6, errors: &[(406, 0.02), (500, 0.015), (503, 0.005)], incident: true,
        ..ep("frontend", "POST", "/orders", 1.6, USERS, 310.0, Body::OrderReq, Body::Order)
    },
    ep("frontend", "GET", "/orders", 2.2, USERS, 30.0, E, Body::Orders),
    ep("frontend", "GET", "/customers/{customer}", 2.0, USERS, 9.0, E, Body::Customer),
    ep("frontend", "GET", "/css/style.blue.css", 3.5, USERS, 1.1, E, Body::Css),
    ep("frontend", "GET", "/js/client.js", 3.5, USERS, 1.2, E, Body::Js),
    // catalogue (go)
    ep("catalogue", "GET", "/catalogue?page=1&size=6&tags=", 16.0, FRONTEND, 3.5, E, Body::SockList),
    Endpoint { errors: &[(404, 0.015)], ..ep("catalogue", "GET", "/catalogue/{sock}", 22.0, FRONTEND, 2.2, E, Body::Sock) },
    ep("catalogue", "GET", "/catalogue/size?tags=", 3.0, FRONTEND, 1.6, E, Body::Size),
    ep("catalogue", "GET", "/tags", 2.0, FRONTEND, 1.3, E, Body::Tags),
    ep("catalogue", "GET", "/health", 0.4, KUBELET, 0.4, E, Body::Health),
    // carts (java)
    ep("carts", "GET", "/carts/{customer}/items", 13.0, &[("frontend", 0.85), ("orders", 0.15)], 9.0, E, Body::Cart),
    Endpoint { ok: 201, ..ep("carts", "POST", "/carts/{customer}/items", 5.0, FRONTEND, 21.0, Body::CartAdd, Body::CartItem) },
    Endpoint { ok: 202, ..ep("carts", "DELETE", "/carts/{customer}/items/{sock}", 1.2, FRONTEND, 14.0, E, E) },
    Endpoint { ok: 202, ..ep("carts", "DELETE", "/carts/{customer}", 1.4, ORDERS, 12.0, E, E) },
    Endpoint { ok: 202, ..ep("carts", "GET", "/carts/{customer}/merge?sessionId={session}", 0.8, FRONTEND, 10.0, E, E) },
    ep("carts", "GET", "/health", 0.4, KUBELET, 1.0, E, Body::Health),
    // orders (java): the slow endpoint.
    Endpoint {
        ok: 201, sigma: 0.6, errors: &[(406, 0.02), (500, 0.015), (503, 0.005)], incident: true,
        ..ep("orders", "POST", "/orders", 1.6, FRONTEND, 290.0, Body::OrderReq, Body::Order)
    },
    Endpoint { sigma: 0.8, ..ep("orders", "GET", "/orders/search/customerId?sort=date&custId={customer}", 2.2, FRONTEND, 24.0, E, Body::Orders) },
    ep("orders", "GET", "/orders/{order}", 0.6, FRONTEND, 12.0, E, Body::Order),
    ep("orders", "GET", "/health", 0.4, KUBELET, 1.2, E, Body::Health),
    // payment (go): the endpoint with a high error rate.
    Endpoint { errors: &[(500, 0.11)], incident: true, ..ep("payment", "POST", "/paymentAuth", 1.6, ORDERS, 45.0, Body::PayReq, Body::PayResp) },
    ep("payment", "GET", "/health", 0.4, KUBELET, 0.3, E, Body::Health),
    // users (go)
    ep("users", "GET", "/customers/{customer}", 7.0, &[("frontend", 0.3), ("orders", 0.7)], 4.0, E, Body::Customer),
    ep("users", "GET", "/addresses/{address}", 1.6, ORDERS, 3.5, E, Body::Address),
    ep("users", "GET", "/cards/{card}", 1.6, ORDERS, 3.5, E, Body::Card),
    ep("users", "GET", "/customers/{customer}/addresses", 1.0, FRONTEND, 5.0, E, Body::Addresses),
    Endpoint { errors: &[(401, 0.07)], ..ep("users", "GET", "/login", 2.5, FRONTEND, 62.0, E, Body::Login) },
    Endpoint { ok: 201, errors: &[(409, 0.05)], ..ep("users", "POST", "/register", 0.3, FRONTEND, 75.0, Body::Register, Body::NewId) },
    ep("users", "GET", "/health", 0.4, KUBELET, 0.5, E, Body::Health),
    // shipping (java, gRPC) and queue-master
    Endpoint { grpc: true, ..ep("shipping", "POST", "/shipping.ShippingService/CreateShipment", 1.5, ORDERS, 18.0, Body::ShipReq, Body::Ship) },
    ep("shipping", "GET", "/health", 0.4, KUBELET, 1.1, E, Body::Health),
    ep("queue-master", "GET", "/health", 0.4, KUBELET, 1.3, E, Body::Health),
    // Outside the cluster, over TLS (captured as plaintext).
    Endpoint {
        errors: &[(402, 0.03), (500, 0.01)], incident: true,
        ..ep("ext:payment-gw", "POST", "/v1/charges", 1.5, PAYMENT, 32.0, Body::ChargeReq, Body::Charge)
    },
    Endpoint { ok: 202, ..ep("ext:mail", "POST", "/v3/mail/send", 1.4, ORDERS, 85.0, Body::MailReq, E) },
];

/// The incident: a window in which some endpoints fail and slow down.
pub(crate) const INCIDENT: (f64, f64) = (0.62, 0.70);

/// The flows of http_events (op = index into [`ENDPOINTS`]).
pub(crate) fn flows(w: &World) -> Vec<Flow> {
    let mut flows = Vec::new();
    for (i, e) in ENDPOINTS.iter().enumerate() {
        for &(caller, share) in e.callers {
            let weight = e.rate * share;
            let f = match e.server {
                "ext:payment-gw" => Flow::to_ext(w, caller, EXT_PAYMENT_GW, weight),
                "ext:mail" => Flow::to_ext(w, caller, EXT_MAIL, weight),
                s => Flow::new(w, caller, s, weight),
            };
            flows.push(f.op(i));
        }
    }
    flows
}

/// The reason phrase of an HTTP status.
pub(crate) fn reason(status: i64) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        404 => "Not Found",
        406 => "Not Acceptable",
        409 => "Conflict",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
