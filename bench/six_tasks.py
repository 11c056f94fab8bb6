"""The six tasks of issue 17, tried as a new user would: at 80x24, over the SSH door, through the real OpenSSH
client in tmux, one step at a time.

    python bench/six_tasks.py --console before --bin /tmp/before17/.venv/bin/omeconsole
    python bench/six_tasks.py --console after --bin /tmp/after17/bin/omeconsole

For each task and run: a fresh copy of one demo store (300 messages), a fresh `serve ssh` on a free port, a tmux
window of 80x24 running `ssh`, the console's first screen waited for; then each step's keys are sent and the
screen polled every 20 ms until the text that proves the step shows (30 s at most, then the screen is printed).
Seconds run from the first key to the final proof: the machine's response at typing speed zero, the person's
reading and typing not counted. Keystrokes: a named key or chord is 1, a typed string of N characters is N, a
paste (tmux paste-buffer -p, a bracketed paste as a terminal sends it) is 1 paste, counted apart.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
POLL = 0.02
TMUX = ("tmux", "-L", "six-tasks")  # a server of its own: other people's tmux sessions are left alone
TIMEOUT = 30.0
OPTIONAL_WAIT = 3.0
USERS = ("megan.bowen", "lynne.robbins", "admin", "alex.wilber")
# "Q4 salary review" in the seed-7 demo: delivered link-based to tom.jones@gmail.com, no custom branding template.
NOT_REVOCABLE_SUBJECT = "Q4 salary review"


@dataclass
class Step:
    """Keys to send, then what the screen must show. keys: ("key", name) | ("type", text) | ("paste", text)."""

    keys: list[tuple[str, str]]
    # A regular expression over the captured screen ("!..." : until it is gone); "<none>": nothing to wait for;
    # "<changed>": the screen, colours included, differs from
    # just before the keys (a focus move shows only in colour); "<colours changed>": differs from the first screen.
    proof: str
    note: str = ""
    # optional: if the proof has not shown within OPTIONAL_WAIT, the step is recorded as missing (its wait is not
    # counted) and the task goes on. repeat: the key is pressed again, one at a time, until the proof shows or
    # the screen stops changing (at most this many presses).
    optional: bool = False
    repeat: int = 1
    record: str = ""  # a regular expression: what it matches on the step's screen is printed with the figures


@dataclass
class Task:
    number: int
    title: str
    user: str
    steps: list[Step]
    done: bool = True
    confusing: str = ""
    setup: list[str] = field(default_factory=list)  # "request": a pending elevation; "keymap": the keymap file
    missing: list[str] = field(default_factory=list)  # optional steps whose proof never showed, last run
    seen: list[str] = field(default_factory=list)  # what the steps' `record` matched, last run


def key(*names: str) -> list[tuple[str, str]]:
    return [("key", name) for name in names]


def typed(text: str) -> list[tuple[str, str]]:
    return [("type", text)]


def before_tasks(message_id: str) -> list[Task]:
    return [
        Task(1, "revoke the mail I sent to bob by mistake yesterday", "megan.bowen", [
            Step(key("r"), r"Remove external access\?[\s\S]*Salary review for Bob Kelly",
                 "the newest row is yesterday's mail to bob.kelly@gm (cut); r asks, naming it"),
            Step(key("y"), r"successfully revoked"),
        ], confusing="Recipient cut to 'bob.kelly@gm' with no ellipsis; times in UTC with no label, so "
                     "'yesterday' is worked out by hand; no filter to narrow to bob, only the full-address "
                     "Recipient field, so the person relies on the row being near the top."),
        Task(2, "can this pasted ID be revoked, and why not", "lynne.robbins", [
            Step(key("C-l"), r"Look up a Message ID"),
            Step([("paste", message_id)], re.escape(message_id[1:20])),
            Step(key("Enter"), r"IsRevocable False[\s\S]*no custom branding template"),
        ], confusing="None for a bare ID; the answer (IsRevocable False and the reason) is on Details."),
        Task(3, "which template was used most this week, then export it", "admin", [
            Step(key("2"), r"Top recipient domains", "Last 7 days is the default; the chart: 'Contoso L… 7'",
                 record=r"Contoso \S+ +█+ +\d+"),
            Step(key("Tab"), "<changed>", "the chart cuts names, so open the Template list to read them in full"),
            Step(key("Tab"), "<changed>"),
            Step(key("Tab"), "<changed>"),
            Step(key("Tab"), "<changed>"),
            Step(key("Enter"), r"Contoso Legal"),
            Step(key("Escape"), r"!Contoso Legal"),
            Step(key("C-e"), "<none>", "ctrl+e: nothing happens over SSH, and nothing says so"),
            Step(key("F1"), r"omeconsole keys", "the help is where a person looks next"),
            Step(key("PageDown"), r"portal-preview"),
            Step(key("PageDown"), "<none>",
                 "the help stops scrolling at 'p Preview': the export row below it cannot be reached at 80x24"),
        ], done=False,
            confusing="Template names cut in the chart ('Contoso L…'); Encrypt-Only and Do Not Forward listed as "
                      "templates; ctrl+e is silently absent over SSH (not in the footer, no message), Export is "
                      "not in the palette, and the help's line saying to use the CLI or the browser door is "
                      "below what the help can scroll to at 80x24 (it shows at 80x40)."),
        Task(4, "all failed mail to *@gmail.com in the last 10 days", "admin", [
            Step(key("Tab"), "<changed>", "from the table, Tab reaches the pane tabs,"),
            Step(key("Tab"), "<changed>", "then Sender,"),
            Step(key("Tab"), "<changed>", "then Recipient"),
            Step(typed("*@gmail.com"), r"Recipient\s+\*@gmail\.com"),
            Step(key("Tab"), "<changed>", "Last 10 days is the default;"),
            Step(key("Tab"), "<changed>"),
            Step(key("Enter"), r"GettingStatus", "open Status"),
            Step(key("Down", "Down", "Down", "Enter"), r"Status\s+Failed"),
            Step(key("BTab"), "<changed>", "choosing Failed does not re-run the search: back to an input"),
            Step(key("BTab"), "<changed>"),
            Step(key("Enter"), r"No messages match this search", "and Enter"),
        ], confusing="The first Tab from the table goes to the pane tabs, where typing a digit switches pane; "
                     "changing Status does not re-run the search; the Status list opens over the table without "
                     "a border; in the demo no gmail mail failed in the last 10 days, so the answer is 'No "
                     "messages match this search.'"),
        Task(5, "approve an elevation request", "admin", [
            Step(key("4"), r"pending \(stage 1 of 2\)"),
            Step(key("a"), r"Approve this access request\?[\s\S]*Investigate leaked key"),
            Step(key("y"), r"pending \(stage 2 of 2\)"),
        ], setup=["request"],
            confusing="The Approvals column is cut ('Appr'); the first approval leaves it pending (stage 2 of 2), "
                      "as the two-person rule means, which the dialog says."),
        Task(6, "read the help, remap a key, change the theme", "admin", [
            Step(key("F1"), r"omeconsole keys"),
            Step(key("PageDown"), r"portal-preview", "as far as the help scrolls at 80x24"),
            Step(key("Escape"), r"!omeconsole keys"),
            Step(key("C-p"), r"🔎"),
            Step(typed("theme"), r"🔎 theme[\s\S]*Change the current theme"),
            Step(key("Enter"), r"Search for themes"),
            Step(typed("nord"), r"🔎 nord"),
            Step(key("Enter"), "<colours changed>"),
        ], done=False,
            confusing="Remapping is not possible: the help lists binding ids and says a keymap uses them, but "
                      "no keymap file is read. The help cannot be scrolled past 'p Preview' at 80x24. The theme "
                      "is forgotten at the next sign-in."),
    ]


SHOWN = r"\d+–\d+ of \d+ shown \(of \d+ loaded\) · filter: [a-z ]+"
FOCUS = "▌"  # the after console marks the focused field with it, in every colour mode
KEYMAP = 'help = "f2"\n'  # written to the server's <config dir>/omeconsole/keymap.toml before task 6


def after_tasks(message_id: str) -> list[Task]:
    return [
        Task(1, "revoke the mail I sent to bob by mistake yesterday", "megan.bowen", [
            Step(key("/"), rf"{FOCUS}filter the loaded rows", "/ filters the rows already loaded"),
            Step(typed("bob"), r"of \d+ shown \(of \d+ loaded\) · filter: bob"),
            Step(key("Enter"), r"Remove external access c Copy ID", "back to the rows"),
            Step(key("r"), r"Remove external access\?[\s\S]*Salary review for Bob Kelly"),
            Step(key("y"), r"successfully revoked"),
        ], confusing=""),
        Task(2, "can this pasted ID be revoked, and why not", "lynne.robbins", [
            Step(key("C-l"), r"Look up a Message ID"),
            Step([("paste", f"Message-ID: {message_id}")], re.escape(f"Message-ID: {message_id[:20]}"),
                 "the header line as copied from the message's headers"),
            Step(key("Enter"), r"IsRevocable \S* ?False[\s\S]*no custom branding template"),
        ], confusing=""),
        Task(3, "which template was used most this week, then export it", "admin", [
            Step(key("2"), r"Date \(UTC\)", "Last 7 days is the default"),
            Step(key("/"), rf"{FOCUS}filter the loaded rows", "no chart at 24 rows: count each template's rows with /"),
            Step(typed("Contoso L"), r"shown \(of \d+ loaded\) · filter: contoso l", record=SHOWN),
            Step(key("C-u"), r"!filter: contoso l"),
            Step(typed("Contoso S"), r"shown \(of \d+ loaded\) · filter: contoso s", record=SHOWN),
            Step(key("C-u"), r"!filter: contoso s"),
            Step(typed("Contoso F"), r"shown \(of \d+ loaded\) · filter: contoso f", record=SHOWN),
            Step(key("Escape"), r"!filter: contoso f", "Esc clears the filter"),
            Step(key("C-e"), r"Not over SSH", "ctrl+e over SSH: says what to do instead", optional=True),
            Step(key("F1"), r"omeconsole keys", "else the help"),
            Step(key("PageDown"), r"Not over SSH", repeat=12),
        ], done=False, confusing=""),
        Task(4, "all failed mail to *@gmail.com in the last 10 days", "admin", [
            Step(key("Tab"), "<changed>", "from the table, Tab reaches the pane tabs,"),
            Step(key("Tab"), rf"Sender\s+{FOCUS}", "then Sender,"),
            Step(key("Tab"), rf"Recipient\s+{FOCUS}", "then Recipient"),
            Step(typed("*@gmail.com"), r"Recipient\s+\S?\*@gmail\.com"),
            Step(key("Tab"), rf"Date range\s+{FOCUS}", "Last 10 days is the default;"),
            Step(key("Tab"), rf"Status\s+{FOCUS}"),
            Step(key("Enter"), r"GettingStatus", "open Status"),
            Step(key("Down", "Down", "Down", "Enter"), r"No messages match this search",
                 "choosing Failed re-runs the search"),
        ], confusing=""),
        Task(5, "approve an elevation request", "admin", [
            Step(key("4"), r"pending \(stage 1 of 2\)|stage 1 of 2"),
            Step(key("a"), r"Approve this access request\?[\s\S]*Investigate leaked key"),
            Step(key("y"), r"stage 2 of 2"),
        ], setup=["request"], confusing=""),
        Task(6, "read the help, remap a key, change the theme", "admin", [
            Step(key("F2"), r"f2\s+List every key", "the keymap file (written beforehand) moved help to f2"),
            Step(key("PageDown"), r"clear-filter", "the last key of the help (clear-filter)", repeat=20),
            Step(key("Escape"), r"!omeconsole keys"),
            Step(key(":"), r"🔎"),
            Step(typed("theme"), r"🔎 theme[\s\S]*Change the current theme|🔎.*theme"),
            Step(key("Enter"), r"Search for themes"),
            Step(typed("nord"), r"🔎 nord"),
            Step(key("Enter"), "<colours changed>"),
        ], setup=["keymap"], confusing=""),
    ]


class Screen:
    def __init__(self, session: str) -> None:
        self.session = session

    def text(self, colours: bool = False) -> str:
        args = [*TMUX, "capture-pane", "-p", "-t", self.session] + (["-e"] if colours else [])
        return subprocess.run(args, capture_output=True, text=True).stdout

    def send(self, keys: list[tuple[str, str]]) -> tuple[int, int]:
        strokes = pastes = 0
        for kind, value in keys:
            if kind == "key":
                subprocess.run([*TMUX, "send-keys", "-t", self.session, value], check=True)
                strokes += 1
            elif kind == "type":
                subprocess.run([*TMUX, "send-keys", "-t", self.session, "-l", value], check=True)
                strokes += len(value)
            else:
                subprocess.run([*TMUX, "set-buffer", "-b", "six", value], check=True)
                subprocess.run([*TMUX, "paste-buffer", "-p", "-b", "six", "-t", self.session], check=True)
                pastes += 1
        return strokes, pastes

    def settle(self, quiet: float = 0.5) -> None:
        """Before the first key (not timed): the start-up's last focus moves land after the first search is drawn,
        and a key sent before them is lost; wait until the screen, colours included, holds still for `quiet` s."""
        deadline = time.monotonic() + TIMEOUT
        shown, since = self.text(colours=True), time.monotonic()
        while time.monotonic() - since < quiet:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the first screen never held still:\n{self.text()}")
            time.sleep(POLL)
            now = self.text(colours=True)
            if now != shown:
                shown, since = now, time.monotonic()

    def wait(self, proof: str, baseline: str = "", before: str = "", timeout: float = TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            if proof == "<none>":  # nothing shows: the key is counted, nothing is waited for
                return self.text()
            if proof == "<changed>":
                if self.text(colours=True) != before:
                    return self.text()
            elif proof == "<colours changed>":  # the palette closed, and the colours are not the first screen's
                shown = self.text(colours=True)
                if shown != baseline and "🔎" not in shown:
                    return self.text()
            elif proof.startswith("!"):
                shown = self.text()
                if not re.search(proof[1:], shown):
                    return shown
            else:
                shown = self.text()
                if re.search(proof, shown):
                    return shown
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {TIMEOUT:.0f} s for {proof!r}; the screen:\n{self.text()}")
            time.sleep(POLL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Door:
    """A demo store, keys for the four identities, and one `serve ssh` per run on a fresh copy of the store."""

    def __init__(self, binary: str, root: Path) -> None:
        self.binary, self.root = binary, root
        self.home = root / "home"
        self.config = self.home / ".config"
        self.keys = root / "keys"
        for d in (self.config, self.keys):
            d.mkdir(parents=True, mode=0o700)
        self.pristine = root / "pristine"
        self.cli("--store", str(self.pristine), "demo", "--messages", "300")
        lines = []
        for user in USERS:
            path = self.keys / user
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", user, "-f", str(path)], check=True)
            lines.append(f'as="{user}@contoso.com" {Path(f"{path}.pub").read_text().strip()}')
        self.authorized = self.keys / "authorized_keys"
        self.authorized.write_text("\n".join(lines) + "\n")
        self.authorized.chmod(0o600)
        self.server: subprocess.Popen | None = None
        self.port = 0

    def env(self) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.home), "XDG_CONFIG_HOME": str(self.config),
                "XDG_DATA_HOME": str(self.home / ".local/share"), "XDG_STATE_HOME": str(self.home / ".local/state")}

    def cli(self, *args: str) -> str:
        return subprocess.run([self.binary, *args], check=True, capture_output=True, text=True, env=self.env()).stdout

    def message_id(self) -> str:
        import json
        rows = json.loads(self.cli("--store", str(self.pristine), "trace", "--start", since(89),
                                   "--subject", NOT_REVOCABLE_SUBJECT, "--json"))
        for row in rows:
            status = json.loads(self.cli("--store", str(self.pristine), "status", "--message-id",
                                         row["MessageId"], "--json"))
            if not status["IsRevocable"] and not status["Revoked"] and any(
                    "branding template" in r for r in status["Reasons"]):
                return row["MessageId"]
        raise SystemExit(f"no non-revocable {NOT_REVOCABLE_SUBJECT!r} in the demo")

    def start(self, task: Task) -> None:
        store = self.root / "store"
        shutil.rmtree(store, ignore_errors=True)
        shutil.copytree(self.pristine, store)
        if "request" in task.setup:
            self.cli("--store", str(store), "--as", "isaiah.langer@contoso.com", "access", "request",
                     "--reason", "Investigate leaked key for case 4711", "--duration", "2h")
        keymap = self.home / ".config" / "omeconsole" / "keymap.toml"  # the console gets HOME, not XDG_*
        if "keymap" in task.setup:
            keymap.parent.mkdir(parents=True, exist_ok=True)
            keymap.write_text(KEYMAP)
        else:
            keymap.unlink(missing_ok=True)
        self.port = free_port()
        self.server = subprocess.Popen(
            [self.binary, "--store", str(store), "serve", "ssh", "--listen", f"127.0.0.1:{self.port}",
             "--host-key", str(self.keys / "host"), "--authorized-keys", str(self.authorized)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env(), start_new_session=True)
        assert self.server.stdout is not None
        for line in self.server.stdout:
            if line.startswith("Listening on"):
                return
        raise SystemExit("serve ssh ended before listening")

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()
            self.server = None

    def ssh(self, user: str) -> str:
        return (f"ssh -p {self.port} -i {self.keys / user} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no "
                f"-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR 127.0.0.1")


def since(days: int) -> str:
    import datetime
    return (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


# The first search drawn, and the table focused with its row selected (the footer offers Copy ID then): keys
# sent before that go elsewhere.
FIRST_SCREEN = r"(\d+–\d+ of \d+|No messages)[\s\S]*Copy ID"


def press_until(screen: Screen, step: Step) -> tuple[int, bool]:
    """Press the step's one key until its proof shows, or a press changes nothing: the presses, and whether
    the proof showed."""
    presses = 0
    while presses < step.repeat and not re.search(step.proof, screen.text()):
        before = screen.text(colours=True)
        screen.send(step.keys)
        presses += 1
        try:
            screen.wait("<changed>", before=before, timeout=1.0)
        except TimeoutError:  # the end: nothing moved (the wait is the proof that nothing will)
            break
    return presses, bool(re.search(step.proof, screen.text()))


def run_once(door: Door, task: Task, session: str) -> tuple[float, int, int, str]:
    door.start(task)
    try:
        subprocess.run([*TMUX, "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
                        door.ssh(task.user)], check=True)
        screen = Screen(session)
        screen.wait(re.escape(task.user) + r"[\s\S]*" + FIRST_SCREEN)
        screen.settle()
        baseline = screen.text(colours=True)
        strokes = pastes = 0
        start = time.perf_counter()
        shown, not_counted, missing, seen = "", 0.0, [], []
        for step in task.steps:
            if step.repeat > 1:
                presses, reached = press_until(screen, step)
                strokes += presses
                shown = screen.text()
                if not reached:
                    missing.append(f"{step.note or step.proof} (after {presses} presses)")
                continue
            before = screen.text(colours=True) if step.proof == "<changed>" else ""
            s, p = screen.send(step.keys)
            strokes, pastes = strokes + s, pastes + p
            if not step.optional:
                shown = screen.wait(step.proof, baseline, before)
                seen += [m.group(0) for m in re.finditer(step.record, shown)] if step.record else []
                continue
            waited = time.perf_counter()
            try:
                shown = screen.wait(step.proof, baseline, before, timeout=OPTIONAL_WAIT)
            except TimeoutError:
                not_counted += time.perf_counter() - waited
                missing.append(step.note or step.proof)
        task.missing, task.seen = missing, seen
        return time.perf_counter() - start - not_counted, strokes, pastes, shown
    finally:
        subprocess.run([*TMUX, "kill-session", "-t", session], capture_output=True)
        door.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--console", choices=("before", "after"), required=True)
    parser.add_argument("--bin", required=True, help="the omeconsole executable to measure")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tasks", default="1,2,3,4,5,6")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="six-tasks-"))
    root.chmod(0o700)
    try:
        measure(args, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def measure(args: argparse.Namespace, root: Path) -> None:
    door = Door(args.bin, root)
    message_id = door.message_id()
    tasks = before_tasks(message_id) if args.console == "before" else after_tasks(message_id)
    wanted = {int(n) for n in args.tasks.split(",")}
    out = HERE / "six-tasks"
    out.mkdir(exist_ok=True)
    print(f"console: {args.console} ({args.bin}); 80x24 over the SSH door; seconds from the first key to the final "
          f"proof on screen, typing speed zero; median of {args.runs} runs")
    print(f"pasted Message ID (task 2): {message_id}")
    for task in tasks:
        if task.number not in wanted:
            continue
        times = []
        for _run in range(args.runs):
            seconds, strokes, pastes, shown = run_once(door, task, f"six{os.getpid()}")
            times.append(seconds)
        (out / f"{args.console}-{task.number}.txt").write_text(shown)
        paste = f" + {pastes} paste" if pastes else ""
        if task.missing:
            print(f"  task {task.number}: never shown: {'; '.join(task.missing)}")
        if task.seen:
            print(f"  task {task.number}: seen: {' | '.join(task.seen)}")
        print(f"| {task.number} | {task.title} | {task.user} | {strokes}{paste} | {statistics.median(times):.2f} "
              f"({', '.join(f'{t:.2f}' for t in times)}) | {'yes' if task.done else 'no/partly'} | {task.confusing} |",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
