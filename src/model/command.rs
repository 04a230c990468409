//! A run-time command of ours as an argument list: the model says what runs with what, emit
//! quotes it for the shell (emit/script.rs).

/// One line of a run-time script of ours.
#[derive(Clone, Debug, PartialEq)]
pub enum ShellLine {
    /// A comment that says why the next line is as it is.
    Comment(&'static str),
    Run(Command),
}

/// A program and its arguments, with what becomes of its output and its failure.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    pub program: String,
    pub args: Vec<Arg>,
    /// Its standard output truncates and writes this file (`>`).
    pub stdout_to: Option<String>,
    /// Its failure (and its error output) is ignored: what it removes may be gone already.
    pub may_fail: bool,
}

/// An argument: a word of our own, written as it is, or a value, quoted for the shell.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Word(&'static str),
    Value(String),
}

impl Command {
    pub fn new(program: &str) -> Self {
        Command {
            program: program.to_string(),
            args: Vec::new(),
            stdout_to: None,
            may_fail: false,
        }
    }

    /// Words of our own (`link`, `add`, `-n`).
    pub fn words(mut self, words: &[&'static str]) -> Self {
        self.args.extend(words.iter().map(|w| Arg::Word(w)));
        self
    }

    /// A value (a name, an address, a path).
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.args.push(Arg::Value(value.into()));
        self
    }

    pub fn stdout_to(mut self, path: String) -> Self {
        self.stdout_to = Some(path);
        self
    }

    pub fn may_fail(mut self) -> Self {
        self.may_fail = true;
        self
    }
}

impl From<Command> for ShellLine {
    fn from(c: Command) -> Self {
        ShellLine::Run(c)
    }
}
