//! The unit graph of a model: every unit netns-compile writes or extends, with the relations
//! its unit file (or drop-in) says.

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
    let service_decl = |svc: &JoiningService, role| UnitDecl {
        name: svc.unit_name.clone(),
        role,
        relations: svc.relations.clone(),
    };
    // A joining service as its drop-in leaves it. The graph does not know the resolvers yet:
    // it keeps the relations on the namespace's unit (the start order it always gave).
    for svc in &model.joining {
        let mut decl = service_decl(svc, UnitRole::Joining);
        let namespace_unit = svc.dropin.first().map(|r| r.target.as_str());
        decl.relations.extend(
            svc.dropin
                .iter()
                .filter(|r| Some(r.target.as_str()) == namespace_unit)
                .cloned(),
        );
        decls.push(decl);
    }
    for svc in &model.other_services {
        decls.push(service_decl(svc, UnitRole::Referenced));
    }
    for wg in &model.wireguard_interfaces {
        let mut decl = service_decl(wg, UnitRole::Connect);
        decl.relations.extend(wg.dropin.iter().cloned());
        decls.push(decl);
    }
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
