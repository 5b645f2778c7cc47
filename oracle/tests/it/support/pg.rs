//! A throwaway PostgreSQL cluster for the lease tests and the `ha` example.
//!
//! `initdb` in a temporary directory (as the `postgres` user when we are root: `initdb`
//! refuses root), trust authentication, listening on a free port of 127.0.0.1 only, fsync off,
//! a server certificate from a throwaway CA when `openssl` is there. A small shell supervisor
//! owns the cluster and obeys `stop` / `start` lines on its stdin; when that pipe closes (the
//! cluster value is dropped, or the test process ends however it ends) it stops the server
//! and deletes the directory, so no server outlives the tests.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

const SUPERVISOR: &str = r#"
set -u
bin=$1; dir=$2; port=$3
if ! "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 >"$dir/initdb.log" 2>&1; then
    echo "failed: initdb: $(tail -n 3 "$dir/initdb.log" | tr '\n' ' ')"; exit 1
fi
if [ -f "$dir/extra.conf" ]; then cat "$dir/extra.conf" >>"$dir/data/postgresql.conf"; fi
if [ -f "$dir/hba.conf" ]; then
    cat "$dir/hba.conf" "$dir/data/pg_hba.conf" >"$dir/hba.new" && mv "$dir/hba.new" "$dir/data/pg_hba.conf"
fi
start() {
    if "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null 2>&1; then
        echo started
    else
        echo "failed: pg_ctl start: $(tail -n 5 "$dir/server.log" | tr '\n' ' ')"
    fi
}
start
while read -r command; do
    case "$command" in
        stop) "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1; echo stopped ;;
        start) start ;;
    esac
done
"$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
rm -rf "$dir"
"#;

/// A running cluster. Databases are made per test with [`PgCluster::create_database`].
pub(crate) struct PgCluster {
    /// The server's port on 127.0.0.1.
    pub(crate) port: u16,
    /// The throwaway CA that signed the server's certificate, when TLS is on.
    pub(crate) ca: Option<PathBuf>,
    control: Mutex<Control>,
}

struct Control {
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    child: Child,
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`, if a server is installed.
pub(crate) fn server_bin() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .collect();
    candidates.sort();
    candidates.reverse();
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates.into_iter().find(|dir| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|bin| dir.join(bin).is_file())
    })
}

/// The cluster shared by every test of this binary, started on first use; `None` (after
/// printing why) when no server is installed.
pub(crate) fn shared() -> Option<&'static PgCluster> {
    static SHARED: OnceLock<Option<PgCluster>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            server_bin()
                .map(|bin| PgCluster::start_with(&bin, true).expect("the test cluster starts"))
        })
        .as_ref()
        .or_else(|| {
            skip_notice();
            None
        })
}

/// Prints why a test that needs PostgreSQL does nothing.
pub(crate) fn skip_notice() {
    eprintln!(
        "SKIPPED: no PostgreSQL server binaries (initdb, pg_ctl, postgres) under \
         /usr/lib/postgresql/*/bin or on PATH; install postgresql-15 to run the lease tests"
    );
}

impl PgCluster {
    /// A cluster of its own (for tests that stop and restart it); `None` without a server.
    pub(crate) fn start() -> Option<Self> {
        match server_bin() {
            Some(bin) => Some(Self::start_with(&bin, false).expect("the test cluster starts")),
            None => {
                skip_notice();
                None
            }
        }
    }

    fn start_with(bin: &Path, tls: bool) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("irsforge-pg-")
            .tempdir()
            .map_err(|error| error.to_string())?
            .keep();
        let port = free_port();
        let ca = if tls { make_certificates(&dir) } else { None };
        let root = rustix::process::geteuid().is_root();
        if root {
            let (uid, gid) = postgres_ids()?;
            for entry in walk(&dir) {
                std::os::unix::fs::chown(&entry, Some(uid), Some(gid))
                    .map_err(|error| format!("chown {}: {error}", entry.display()))?;
            }
        }
        let mut command = if root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", "sh"]);
            command
        } else {
            Command::new("sh")
        };
        command
            .args(["-c", SUPERVISOR, "sh"])
            .arg(bin)
            .arg(&dir)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command
            .spawn()
            .map_err(|error| format!("supervisor: {error}"))?;
        let control = Control {
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().expect("piped")),
            child,
        };
        let cluster = Self {
            port,
            ca,
            control: Mutex::new(control),
        };
        cluster.expect_line("started")?;
        Ok(cluster)
    }

    fn expect_line(&self, wanted: &str) -> Result<(), String> {
        let mut control = self.control.lock().unwrap();
        let mut line = String::new();
        control
            .stdout
            .read_line(&mut line)
            .map_err(|error| error.to_string())?;
        match line.trim() {
            got if got == wanted => Ok(()),
            got => Err(format!(
                "the PostgreSQL supervisor said {got:?}, not {wanted:?}"
            )),
        }
    }

    fn command(&self, command: &str, answer: &str) {
        {
            let mut control = self.control.lock().unwrap();
            let stdin = control.stdin.as_mut().expect("open");
            writeln!(stdin, "{command}").unwrap();
            stdin.flush().unwrap();
        }
        self.expect_line(answer).unwrap();
    }

    /// Stops the server (fast shutdown: sessions are cut) and waits until it is down.
    pub(crate) fn stop_server(&self) {
        self.command("stop", "stopped");
    }

    /// Starts the server again on the same port and waits until it accepts connections.
    pub(crate) fn start_server(&self) {
        self.command("start", "started");
    }

    /// `postgres://postgres@127.0.0.1:<port>/<database>`.
    pub(crate) fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a database (the per-test unit of isolation) and returns its URL.
    pub(crate) async fn create_database(&self, name: &str) -> String {
        let (client, connection) =
            tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
                .await
                .expect("the test cluster accepts connections");
        let task = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("a fresh database name");
        drop(client);
        let _ = task.await;
        self.url(name)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let control = self.control.get_mut().unwrap();
        drop(control.stdin.take());
        let _ = control.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn postgres_ids() -> Result<(u32, u32), String> {
    let id = |flag: &str| -> Result<u32, String> {
        let output = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .map_err(|error| error.to_string())?;
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .map_err(|_| "no `postgres` user to run the test cluster as".to_owned())
    };
    Ok((id("-u")?, id("-g")?))
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut all = vec![dir.to_owned()];
    if let Ok(entries) = std::fs::read_dir(dir) {
        all.extend(entries.flatten().map(|entry| entry.path()));
    }
    all
}

/// A CA and a server certificate for 127.0.0.1 signed by it, in `dir`, plus the server's TLS
/// settings (`extra.conf`) and a `pg_hba.conf` head that lets database `tls_only` in over TLS
/// only. `None` (TLS off) without `openssl`.
fn make_certificates(dir: &Path) -> Option<PathBuf> {
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         extendedKeyUsage=serverAuth\n",
    )
    .ok()?;
    let made = openssl(
        &[
            &["req", "-x509"][..],
            &ec[..],
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=irsforge test CA",
            ][..],
        ]
        .concat(),
    ) && openssl(
        &[
            &["req"][..],
            &ec[..],
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ][..],
        ]
        .concat(),
    ) && openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    if !made {
        eprintln!("openssl could not make test certificates: the TLS lease test is skipped");
        return None;
    }
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(
        dir.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .ok()?;
    let (cert, key) = (dir.join("server.pem"), dir.join("server.key"));
    std::fs::write(
        dir.join("extra.conf"),
        format!(
            "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
            cert.display(),
            key.display()
        ),
    )
    .ok()?;
    std::fs::write(
        dir.join("hba.conf"),
        "hostssl   tls_only all 127.0.0.1/32 trust\nhostnossl tls_only all 127.0.0.1/32 reject\n",
    )
    .ok()?;
    Some(dir.join("ca.pem"))
}
