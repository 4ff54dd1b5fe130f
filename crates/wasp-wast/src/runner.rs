//! [`Runner`]: executes the directives of one script against one store.
//!
//! Each directive is one check. Its outcome is `Ok(())` (passed) or an error
//! message (failed); a panic while running it is caught and recorded as a
//! failure too, so one engine bug cannot end the run.

use crate::values::{self, ExternRefs};
use crate::Report;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use wasp::{Config, Engine, ErrorKind, Extern, Instance, Linker, Module, Store, Val};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::{Id, Span};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

/// The outcome of running something in the engine: values, or the engine's
/// error (a trap, a link error, ...). The outer `Err` of the functions that
/// return this is a problem of the script itself (unknown export, ...).
type Outcome = Result<Vec<Val>, wasp::Error>;

/// Runs one script: owns the engine, the store, the linker with `spectest`
/// and every registered instance, and the report being filled.
pub struct Runner<'a> {
    text: &'a str,
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    /// The most recently instantiated module, target of unnamed invokes.
    current: Option<Instance>,
    /// Instances by `$id`.
    instances: HashMap<String, Instance>,
    /// Module definitions (`module definition`) by `$id`, and the latest.
    definitions: HashMap<String, Module>,
    last_definition: Option<Module>,
    externs: ExternRefs,
    report: Report,
}

impl<'a> Runner<'a> {
    /// Prepares to run the script `text` (labelled `name`) on an engine built
    /// from `config`.
    pub fn new(name: &str, text: &'a str, config: &Config) -> Self {
        let engine = Engine::new(config);
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        let mut report = Report::new(name);
        if let Err(e) = crate::spectest::define(&mut linker, &mut store) {
            report.fail(1, 1, format!("cannot define the spectest module: {e}"));
        }
        Runner {
            text,
            engine,
            store,
            linker,
            current: None,
            instances: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            externs: ExternRefs::default(),
            report,
        }
    }

    /// Parses and runs the whole script, returning the report.
    pub fn run(mut self) -> Report {
        let text = self.text;
        let mut lexer = Lexer::new(text);
        lexer.allow_confusing_unicode(true);
        let buf = match ParseBuffer::new_with_lexer(lexer) {
            Ok(buf) => buf,
            Err(e) => return self.parse_failure(e),
        };
        let wast = match parser::parse::<Wast<'_>>(&buf) {
            Ok(wast) => wast,
            Err(e) => return self.parse_failure(e),
        };
        for directive in wast.directives {
            let span = directive.span();
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| self.directive(directive)));
            match outcome {
                Ok(Ok(())) => self.report.pass(),
                Ok(Err(msg)) => self.fail(span, msg),
                Err(payload) => {
                    let msg = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "<non-string payload>".into());
                    self.fail(span, format!("panic: {msg}"));
                }
            }
        }
        self.report
    }

    fn parse_failure(mut self, e: wast::Error) -> Report {
        let span = e.span();
        self.fail(span, format!("cannot parse script: {}", e.message()));
        self.report
    }

    fn fail(&mut self, span: Span, msg: String) {
        let (line, col) = span.linecol_in(self.text);
        self.report.fail(line + 1, col + 1, msg);
    }

    fn directive(&mut self, directive: WastDirective<'_>) -> Result<(), String> {
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                // A failed module leaves no current module behind, so later
                // invokes fail instead of running against an older one.
                self.current = None;
                if let Some(name) = &name {
                    self.instances.remove(name);
                }
                let module = self.compile(&mut module)?;
                let inst = self
                    .instantiate(&module)
                    .map_err(|e| format!("instantiation failed: {e}"))?;
                if let Some(name) = name {
                    self.instances.insert(name, inst);
                }
                self.current = Some(inst);
                Ok(())
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                self.last_definition = None;
                let module = self.compile(&mut module)?;
                if let Some(name) = name {
                    self.definitions.insert(name, module.clone());
                }
                self.last_definition = Some(module);
                Ok(())
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                self.current = None;
                let def = match module {
                    Some(id) => self.definitions.get(id.name()).cloned(),
                    None => self.last_definition.clone(),
                }
                .ok_or("unknown module definition")?;
                let inst = self
                    .instantiate(&def)
                    .map_err(|e| format!("instantiation failed: {e}"))?;
                if let Some(id) = instance {
                    self.instances.insert(id.name().to_string(), inst);
                }
                self.current = Some(inst);
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let inst = self.instance(module)?;
                self.linker
                    .instance(&self.store, name, inst)
                    .map_err(|e| format!("cannot register `{name}`: {e}"))?;
                Ok(())
            }
            WastDirective::Invoke(invoke) => match self.invoke(&invoke)? {
                Ok(_) => Ok(()),
                Err(e) => Err(format!("invoke `{}` failed: {e}", invoke.name)),
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                let actual = self.execute(exec)?.map_err(|e| {
                    format!("expected {}, got error: {e}", values::show_rets(&results))
                })?;
                self.check_results(&actual, &results)
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                let outcome = self.execute(exec)?;
                expect_trap(outcome, message, &self.store)
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                let outcome = self.invoke(&call)?;
                expect_trap(outcome, message, &self.store)
            }
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => match self.compile(&mut module) {
                Ok(_) => Err(format!(
                    "expected an invalid module (`{message}`), but it compiled"
                )),
                Err(_) => Ok(()),
            },
            WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => match self.compile(&mut module) {
                Ok(_) => Err(format!(
                    "expected a malformed module (`{message}`), but it compiled"
                )),
                Err(_) => Ok(()),
            },
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => {
                let module = self.compile(&mut QuoteWat::Wat(module))?;
                match self.instantiate(&module) {
                    Ok(_) => Err(format!(
                        "expected a link error (`{message}`), but instantiation succeeded"
                    )),
                    Err(e) if matches!(e.kind(), ErrorKind::Link) => Ok(()),
                    Err(e) => Err(format!("expected a link error (`{message}`), got: {e}")),
                }
            }
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => {
                Err("custom-section assertions are not supported".into())
            }
            WastDirective::AssertException { exec, .. } => match self.execute(exec)? {
                Err(e) if e.exception().is_some() => Ok(()),
                Err(e) => Err(format!("expected an uncaught exception, got error: {e}")),
                Ok(vals) => Err(format!(
                    "expected an uncaught exception, got {}",
                    values::show_vals(&vals, &self.store)
                )),
            },
            WastDirective::AssertSuspension { .. } => {
                Err("assert_suspension is not supported (stack switching)".into())
            }
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                Err("threads are not supported".into())
            }
        }
    }

    /// Encodes a module of the script and compiles it. Text that does not
    /// parse, binary that does not decode and modules that do not validate
    /// are all errors here.
    fn compile(&mut self, module: &mut QuoteWat<'_>) -> Result<Module, String> {
        if matches!(
            module,
            QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_))
        ) {
            return Err("components are not supported".into());
        }
        let bytes = module
            .encode()
            .map_err(|e| format!("cannot encode module: {}", e.message()))?;
        Module::from_binary(&self.engine, bytes).map_err(|e| format!("cannot compile module: {e}"))
    }

    fn instantiate(&mut self, module: &Module) -> wasp::Result<Instance> {
        self.linker.instantiate(&mut self.store, module)
    }

    /// The instance named `id`, or the current one.
    fn instance(&self, id: Option<Id<'_>>) -> Result<Instance, String> {
        match id {
            Some(id) => self
                .instances
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("unknown module `${}`", id.name())),
            None => self.current.ok_or_else(|| {
                "no current module (the last module failed or none was defined)".into()
            }),
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Outcome, String> {
        let inst = self.instance(invoke.module)?;
        let func = match inst.get_export(&self.store, invoke.name) {
            Some(Extern::Func(f)) => f,
            Some(_) => return Err(format!("export `{}` is not a function", invoke.name)),
            None => return Err(format!("no export named `{}`", invoke.name)),
        };
        let mut args = Vec::with_capacity(invoke.args.len());
        for a in &invoke.args {
            args.push(values::arg(a, &mut self.store, &mut self.externs)?);
        }
        let ty = func.ty(&self.store);
        if args.len() != ty.params().len() {
            return Err(format!(
                "`{}` has type {ty} but is invoked with {} arguments",
                invoke.name,
                args.len()
            ));
        }
        let args: Vec<Val> = args
            .into_iter()
            .zip(ty.params())
            .map(|(a, t)| values::coerce_null(a, *t))
            .collect();
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        Ok(func
            .call(&mut self.store, &args, &mut results)
            .map(|()| results))
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Outcome, String> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(wat) => {
                let module = self.compile(&mut QuoteWat::Wat(wat))?;
                Ok(self.instantiate(&module).map(|_| Vec::new()))
            }
            WastExecute::Get { module, global, .. } => {
                let inst = self.instance(module)?;
                match inst.get_export(&self.store, global) {
                    Some(Extern::Global(g)) => Ok(Ok(vec![g.get(&self.store)])),
                    Some(_) => Err(format!("export `{global}` is not a global")),
                    None => Err(format!("no export named `{global}`")),
                }
            }
        }
    }

    fn check_results(&self, actual: &[Val], expected: &[WastRet<'_>]) -> Result<(), String> {
        let ok = actual.len() == expected.len()
            && actual
                .iter()
                .zip(expected)
                .all(|(a, e)| values::matches(a, e, &self.store));
        if ok {
            Ok(())
        } else {
            Err(format!(
                "expected {}, got {}",
                values::show_rets(expected),
                values::show_vals(actual, &self.store)
            ))
        }
    }
}

/// Checks that `outcome` is a trap whose message matches `expected` (either
/// contains the other: the spec sometimes appends details such as an index).
fn expect_trap(outcome: Outcome, expected: &str, store: &Store<()>) -> Result<(), String> {
    match outcome {
        Ok(vals) => Err(format!(
            "expected trap `{expected}`, got {}",
            values::show_vals(&vals, store)
        )),
        Err(e) => match e.trap_code() {
            Some(code) => {
                let actual = code.message();
                if expected.contains(actual) || actual.contains(expected) {
                    Ok(())
                } else {
                    Err(format!("expected trap `{expected}`, got trap `{actual}`"))
                }
            }
            None => Err(format!("expected trap `{expected}`, got error: {e}")),
        },
    }
}
