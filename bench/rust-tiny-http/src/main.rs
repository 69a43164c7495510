//! Hello-world peer for the tinyhttp side-by-side benchmark, using the
//! original Rust crate tiny-http 0.12: four threads pull requests with
//! `server.recv()` and answer them.
//!
//! Usage: rust-tiny-http [-port PORT] [-file PATH] [-workers N]
//!
//! Paths: `/sleep` sleeps 1 ms before answering, `/file` sends the file given
//! by `-file` with `Response::from_file`, anything else gets `hello world`.

use std::fs::File;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use tiny_http::{Request, Response, Server};

/// Command-line options.
struct Options {
    port: u16,
    file: Option<String>,
    workers: usize,
}

/// Parses `-port`, `-file` and `-workers` (also with `--`), or a bare port.
fn parse_args() -> Options {
    let mut opts = Options { port: 8080, file: None, workers: 4 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let name = arg.trim_start_matches('-').to_string();
        let (key, inline) = match name.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (name.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next()).unwrap_or_else(|| usage(&arg));
        match key.as_str() {
            "port" => opts.port = value().parse().unwrap_or_else(|_| usage(&arg)),
            "file" => opts.file = Some(value()),
            "workers" => opts.workers = value().parse().unwrap_or_else(|_| usage(&arg)),
            _ if !arg.starts_with('-') => opts.port = arg.parse().unwrap_or_else(|_| usage(&arg)),
            _ => usage(&arg),
        }
    }
    opts
}

/// Prints usage and exits with status 2.
fn usage(bad: &str) -> ! {
    eprintln!("rust-tiny-http: bad argument {bad:?}");
    eprintln!("usage: rust-tiny-http [-port PORT] [-file PATH] [-workers N]");
    std::process::exit(2);
}

/// Answers one request according to its path.
fn handle(req: Request, file: Option<&str>) {
    let path = req.url().split('?').next().unwrap_or("/").to_string();
    let result = match path.as_str() {
        "/file" => match file.map(File::open) {
            Some(Ok(f)) => req.respond(Response::from_file(f)),
            _ => req.respond(Response::from_string("no file\n").with_status_code(404)),
        },
        "/sleep" => {
            thread::sleep(Duration::from_millis(1));
            req.respond(hello())
        }
        _ => req.respond(hello()),
    };
    // A client that went away mid-response is normal under load: ignore it.
    let _ = result;
}

/// The 11-byte `hello world` answer; `from_string` sets Content-Type text/plain.
fn hello() -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_string("hello world")
}

fn main() {
    let opts = parse_args();
    let addr = format!("127.0.0.1:{}", opts.port);
    let server = Arc::new(Server::http(&addr).unwrap_or_else(|e| {
        eprintln!("rust-tiny-http: listen {addr}: {e}");
        std::process::exit(1);
    }));
    eprintln!("rust-tiny-http: listening on {addr} with {} workers", opts.workers);
    let file = Arc::new(opts.file);
    let handles: Vec<_> = (0..opts.workers)
        .map(|_| {
            let server = Arc::clone(&server);
            let file = Arc::clone(&file);
            thread::spawn(move || loop {
                match server.recv() {
                    Ok(req) => handle(req, file.as_deref()),
                    // tiny-http reports an accept error here (its accept
                    // thread then stops); keep the worker for queued requests.
                    Err(e) => eprintln!("rust-tiny-http: recv: {e}"),
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
}
