//! Request and response bodies of the shop's HTTP API, rendered once per
//! sock or customer so that generating a row only copies text.

use crate::columns::json_escape;
use crate::rng::mix;
use crate::world::World;
use std::fmt::Write as _;

/// Bodies longer than this are cut (the size columns keep the full size),
/// as the tracer does.
pub(crate) const BODY_LIMIT: usize = 512;

/// What a body is about; decides which entity selects the variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    Empty,
    Html,
    Css,
    Js,
    /// Health check answer; rendered per endpoint.
    Health,
    SockList,
    Sock,
    Size,
    Tags,
    Cart,
    CartAdd,
    CartItem,
    Customer,
    Address,
    Card,
    Addresses,
    Login,
    Register,
    NewId,
    OrderReq,
    Order,
    Orders,
    PayReq,
    PayResp,
    ChargeReq,
    Charge,
    MailReq,
    ShipReq,
    Ship,
}

const KINDS: usize = Body::Ship as usize + 1;

/// A body as stored in the table: text (maybe cut) and full size.
#[derive(Debug, Clone)]
pub(crate) struct Text {
    pub text: String,
    pub size: i64,
}

impl Text {
    pub(crate) fn new(full: String) -> Self {
        let size = full.len() as i64;
        Text {
            text: truncate(full),
            size,
        }
    }
}

fn truncate(mut s: String) -> String {
    if s.len() > BODY_LIMIT {
        let mut cut = BODY_LIMIT;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// Every body variant, by kind.
pub(crate) struct Bodies {
    by_kind: Vec<Vec<Text>>,
    per_sock: [bool; KINDS],
}

impl Bodies {
    pub(crate) fn new(w: &World) -> Self {
        let mut by_kind: Vec<Vec<Text>> = (0..KINDS).map(|_| Vec::new()).collect();
        let mut per_sock = [false; KINDS];
        let mut set = |k: Body, v: Vec<String>, sock: bool| {
            by_kind[k as usize] = v.into_iter().map(Text::new).collect();
            per_sock[k as usize] = sock;
        };
        let socks: Vec<String> = (0..w.socks.len()).map(|i| sock_json(w, i)).collect();
        set(Body::Empty, vec![String::new()], false);
        set(Body::Html, vec![filler_page("html", 9_204)], false);
        set(Body::Css, vec![filler_page("css", 24_113)], false);
        set(Body::Js, vec![filler_page("js", 61_847)], false);
        set(Body::Health, vec![r#"{"status":"UP"}"#.into()], false);
        set(
            Body::SockList,
            (0..w.socks.len())
                .map(|k| {
                    let page: Vec<&str> = (0..6)
                        .map(|j| socks[(k + j) % socks.len()].as_str())
                        .collect();
                    format!("[{}]", page.join(","))
                })
                .collect(),
            false,
        );
        set(Body::Sock, socks.clone(), true);
        set(
            Body::Size,
            (1..=w.socks.len())
                .map(|n| format!(r#"{{"size":{n},"err":null}}"#))
                .collect(),
            false,
        );
        let mut tags: Vec<&str> = w
            .socks
            .iter()
            .flat_map(|s| s.tags.iter().copied())
            .collect();
        tags.sort_unstable();
        tags.dedup();
        set(
            Body::Tags,
            vec![format!(
                r#"{{"tags":[{}],"err":null}}"#,
                tags.iter()
                    .map(|t| format!("\"{t}\""))
                    .collect::<Vec<_>>()
                    .join(",")
            )],
            false,
        );
        set(
            Body::Cart,
            (0..w.customers.len()).map(|c| cart_json(w, c)).collect(),
            false,
        );
        set(
            Body::CartAdd,
            w.socks
                .iter()
                .map(|s| format!(r#"{{"itemId":"{}","unitPrice":{}}}"#, s.id, s.price))
                .collect(),
            true,
        );
        set(
            Body::CartItem,
            w.socks
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    format!(
                        r#"{{"id":"{}","itemId":"{}","quantity":1,"unitPrice":{}}}"#,
                        object_id(w.seed, 7_000 + i as u64),
                        s.id,
                        s.price
                    )
                })
                .collect(),
            true,
        );
        let per_customer = |f: &dyn Fn(usize) -> String| -> Vec<String> {
            (0..w.customers.len()).map(f).collect()
        };
        set(
            Body::Customer,
            per_customer(&|c| customer_json(w, c)),
            false,
        );
        set(Body::Address, per_customer(&|c| address_json(w, c)), false);
        set(Body::Card, per_customer(&|c| card_json(w, c)), false);
        set(
            Body::Addresses,
            per_customer(&|c| format!(r#"{{"_embedded":{{"address":[{}]}}}}"#, address_json(w, c))),
            false,
        );
        set(
            Body::Login,
            per_customer(&|c| {
                let cu = &w.customers[c];
                format!(
                    r#"{{"user":{{"id":"{}","username":"{}"}}}}"#,
                    cu.id, cu.username
                )
            }),
            false,
        );
        set(
            Body::Register,
            per_customer(&|c| {
                let cu = &w.customers[c];
                format!(
                    r#"{{"username":"{}","password":"********","email":"{}@example.com","firstName":"{}","lastName":"{}"}}"#,
                    cu.username, cu.username, cu.first, cu.last
                )
            }),
            false,
        );
        set(
            Body::NewId,
            per_customer(&|c| format!(r#"{{"id":"{}"}}"#, w.customers[c].id)),
            false,
        );
        set(
            Body::OrderReq,
            per_customer(&|c| {
                let cu = &w.customers[c];
                format!(
                    r#"{{"address":"http://users/addresses/{}","card":"http://users/cards/{}","customer":"http://users/customers/{}","items":"http://carts/carts/{}/items"}}"#,
                    cu.address_id, cu.card_id, cu.id, cu.id
                )
            }),
            false,
        );
        set(Body::Order, per_customer(&|c| order_json(w, c, 0)), false);
        set(
            Body::Orders,
            per_customer(&|c| {
                format!(
                    r#"{{"_embedded":{{"customerOrders":[{},{}]}}}}"#,
                    order_json(w, c, 0),
                    order_json(w, c, 1)
                )
            }),
            false,
        );
        set(
            Body::PayReq,
            per_customer(&|c| {
                let cu = &w.customers[c];
                format!(
                    r#"{{"amount":{:.2},"card":{{"expires":"08/27","longNum":"************{}"}},"customerId":"{}"}}"#,
                    order_total(w, c),
                    cu.card_end,
                    cu.id
                )
            }),
            false,
        );
        set(
            Body::PayResp,
            vec![r#"{"authorised":true,"message":"Payment authorised"}"#.into()],
            false,
        );
        set(
            Body::ChargeReq,
            per_customer(&|c| {
                format!(
                    r#"{{"amount":{},"capture":true,"currency":"eur","metadata":{{"order_id":"{}"}},"source":"tok_{}"}}"#,
                    (order_total(w, c) * 100.0).round() as i64,
                    order_id(w, c, 0),
                    &object_id(w.seed, 9_000 + c as u64)[..14]
                )
            }),
            false,
        );
        set(
            Body::Charge,
            per_customer(&|c| {
                format!(
                    r#"{{"amount":{},"currency":"eur","id":"ch_{}","object":"charge","paid":true,"status":"succeeded"}}"#,
                    (order_total(w, c) * 100.0).round() as i64,
                    &object_id(w.seed, 11_000 + c as u64)[..20]
                )
            }),
            false,
        );
        set(
            Body::MailReq,
            per_customer(&|c| {
                let cu = &w.customers[c];
                format!(
                    r#"{{"content":[{{"type":"text/plain","value":"Hi {}, your order {} is on its way."}}],"from":{{"email":"orders@socks.example.com"}},"personalizations":[{{"to":[{{"email":"{}@example.com"}}]}}],"subject":"Your order has shipped"}}"#,
                    cu.first,
                    order_id(w, c, 0),
                    cu.username
                )
            }),
            false,
        );
        set(
            Body::ShipReq,
            per_customer(&|c| {
                format!("1: \"{}\"\n2: \"{}\"", order_id(w, c, 0), w.customers[c].id)
            }),
            false,
        );
        set(
            Body::Ship,
            per_customer(&|c| {
                format!(
                    "1: \"{}\"\n2: \"{}\"\n3: 1",
                    object_id(w.seed, 13_000 + c as u64),
                    order_id(w, c, 0)
                )
            }),
            false,
        );
        Bodies { by_kind, per_sock }
    }

    /// The body of `kind` for the request about `sock` / `customer`.
    #[inline]
    pub(crate) fn get(&self, kind: Body, sock: usize, customer: usize) -> &Text {
        let v = &self.by_kind[kind as usize];
        let i = if self.per_sock[kind as usize] {
            sock
        } else {
            customer
        };
        &v[i % v.len()]
    }
}

/// A 24-hex-digit MongoDB-style id derived from the seed and a number.
pub(crate) fn object_id(seed: u64, n: u64) -> String {
    let a = mix(seed ^ n.wrapping_mul(0x9e37));
    let b = mix(a ^ n);
    format!("{:016x}{:08x}", a, b as u32)
}

pub(crate) fn order_id(w: &World, customer: usize, n: u64) -> String {
    object_id(w.seed, 100_000 + customer as u64 * 16 + n)
}

fn sock_json(w: &World, i: usize) -> String {
    let s = &w.socks[i];
    let slug = s.name.to_lowercase().replace(' ', "-");
    format!(
        r#"{{"count":{},"description":"{}","id":"{}","imageUrl":["/catalogue/images/{slug}-1.jpg","/catalogue/images/{slug}-2.jpg"],"name":"{}","price":{},"tag":[{}]}}"#,
        s.count,
        json_escape(s.description),
        s.id,
        json_escape(s.name),
        s.price,
        s.tags
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// The cart of a customer: 0-3 different socks.
fn cart_items(w: &World, c: usize) -> Vec<(usize, i64)> {
    let h = mix(w.seed ^ c as u64);
    let first = (h >> 8) as usize;
    (0..(h % 4) as usize)
        .map(|j| {
            (
                (first + 3 * j) % w.socks.len(),
                1 + ((h >> (40 + j)) & 1) as i64,
            )
        })
        .collect()
}

fn order_total(w: &World, c: usize) -> f64 {
    cart_items(w, c)
        .iter()
        .map(|&(s, q)| w.socks[s].price * q as f64)
        .sum::<f64>()
        + 4.99
}

fn cart_json(w: &World, c: usize) -> String {
    let items: Vec<String> = cart_items(w, c)
        .iter()
        .map(|&(s, q)| {
            format!(
                r#"{{"itemId":"{}","quantity":{q},"unitPrice":{}}}"#,
                w.socks[s].id, w.socks[s].price
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

fn links(kind: &str, id: &str) -> String {
    format!(r#""_links":{{"self":{{"href":"http://users/{kind}/{id}"}}}}"#)
}

fn customer_json(w: &World, c: usize) -> String {
    let cu = &w.customers[c];
    format!(
        r#"{{"firstName":"{}","id":"{}","lastName":"{}","username":"{}",{}}}"#,
        cu.first,
        cu.id,
        cu.last,
        cu.username,
        links("customers", &cu.id)
    )
}

fn address_json(w: &World, c: usize) -> String {
    let cu = &w.customers[c];
    format!(
        r#"{{"city":"{}","country":"{}","id":"{}","number":"{}","street":"{}",{}}}"#,
        cu.city,
        cu.country,
        cu.address_id,
        cu.number,
        cu.street,
        links("addresses", &cu.address_id)
    )
}

fn card_json(w: &World, c: usize) -> String {
    let cu = &w.customers[c];
    format!(
        r#"{{"ccv":"***","expires":"08/27","id":"{}","longNum":"************{}",{}}}"#,
        cu.card_id,
        cu.card_end,
        links("cards", &cu.card_id)
    )
}

fn order_json(w: &World, c: usize, n: u64) -> String {
    let cu = &w.customers[c];
    let id = order_id(w, c, n);
    let mut items = String::new();
    for (j, (s, q)) in cart_items(w, c).into_iter().enumerate() {
        if j > 0 {
            items.push(',');
        }
        let _ = write!(
            items,
            r#"{{"itemId":"{}","quantity":{q},"unitPrice":{}}}"#,
            w.socks[s].id, w.socks[s].price
        );
    }
    format!(
        r#"{{"address":{},"card":{},"customer":{},"customerId":"{}","id":"{id}","items":[{items}],"shipment":{{"id":"{}","name":"{id}"}},"total":{:.2}}}"#,
        address_json(w, c),
        card_json(w, c),
        customer_json(w, c),
        cu.id,
        object_id(w.seed, 13_000 + c as u64),
        order_total(w, c)
    )
}

/// A static asset of `size` bytes (only its start is ever kept).
fn filler_page(kind: &str, size: usize) -> String {
    let head = match kind {
        "html" => {
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Socks Shop</title>\n<link href=\"css/bootstrap.min.css\" rel=\"stylesheet\">\n<link href=\"css/style.blue.css\" rel=\"stylesheet\">\n<script src=\"js/jquery-1.11.0.min.js\"></script>\n</head>\n<body>\n<div id=\"top\"><div class=\"container\"><div class=\"col-md-6 offer\"><a href=\"#\" class=\"btn btn-success btn-sm\">Offer of the day</a> Free shipping on orders over 50.</div></div></div>\n"
        }
        "css" => {
            "/* shop theme */\nbody{font-family:\"Roboto\",Helvetica,Arial,sans-serif;font-size:14px;line-height:1.42857143;color:#333;background-color:#f0f0f0}\n.navbar{position:relative;min-height:50px;margin-bottom:20px;border:1px solid transparent}\n.btn-primary{color:#fff;background-color:#4fbfa8;border-color:#4fbfa8}\n"
        }
        _ => {
            "(function(){\"use strict\";var api=\"/catalogue\";function load(page,size){return $.getJSON(api+\"?page=\"+page+\"&size=\"+size)}function render(items){var out=\"\";items.forEach(function(s){out+='<div class=\"product\">'+s.name+'</div>'});$(\"#products\").html(out)}\n"
        }
    };
    let mut s = String::with_capacity(size);
    while s.len() + head.len() <= size {
        s.push_str(head);
    }
    while s.len() < size {
        s.push(' ');
    }
    s
}
