//! The unit graph of a model: every unit netns-compile writes or extends, with the relations
//! its unit file (or drop-in) says — the same relations the emitter writes.

use super::{UnitDecl, UnitGraph, UnitRole, build_graph};
use crate::model::{JoiningService, Model};

/// The graph of SPEC §5 for a model.
pub fn build_unit_graph(model: &Model) -> UnitGraph {
    let mut decls: Vec<UnitDecl> = model
        .namespaces
        .iter()
        .map(|ns| UnitDecl {
            name: ns.unit_name.clone(),
            role: UnitRole::Namespace,
            relations: ns.unit.relations.clone(),
        })
        .collect();
    // A service as its own options and its drop-in (if any) leave it.
    let service_decl = |svc: &JoiningService, role| UnitDecl {
        name: svc.unit_name.clone(),
        role,
        relations: svc.relations.iter().chain(&svc.dropin).cloned().collect(),
    };
    decls.extend(model.joining.iter().map(|svc| service_decl(svc, UnitRole::Joining)));
    decls.extend(
        model
            .other_services
            .iter()
            .map(|svc| service_decl(svc, UnitRole::Referenced)),
    );
    decls.extend(
        model
            .wireguard_interfaces
            .iter()
            .map(|wg| service_decl(wg, UnitRole::Connect)),
    );
    // The connectivity units (a drop-in of the namespace's unit adds no relation).
    for unit in model.connect_units.iter().filter(|u| !u.is_dropin()) {
        decls.push(UnitDecl {
            name: unit.unit.clone(),
            role: UnitRole::Connect,
            relations: unit.relations.clone(),
        });
    }
    build_graph(&decls)
}
