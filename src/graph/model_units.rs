//! The unit graph of a model: every unit netns-compile writes or extends, with the relations
//! its unit file (or drop-in) says.

use super::{UnitDecl, UnitGraph, UnitRole, build_graph};
use crate::dependency::{DepOption, Relation};
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
    for svc in &model.joining {
        let mut decl = service_decl(svc, UnitRole::Joining);
        if let Some(ns) = model.namespaces.iter().find(|n| n.name == svc.namespace) {
            // What the drop-in adds.
            for option in [DepOption::After, DepOption::BindsTo, DepOption::JoinsNamespaceOf] {
                decl.relations.push(Relation {
                    option,
                    target: ns.unit_name.clone(),
                    span: svc.namespace_span,
                });
            }
        }
        decls.push(decl);
    }
    for svc in &model.other_services {
        decls.push(service_decl(svc, UnitRole::Referenced));
    }
    for wg in &model.wireguard_interfaces {
        let mut decl = service_decl(wg, UnitRole::Connect);
        if let Some(ns) = model.namespaces.iter().find(|n| n.name == wg.namespace) {
            for option in [DepOption::After, DepOption::BindsTo] {
                decl.relations.push(Relation {
                    option,
                    target: ns.unit_name.clone(),
                    span: wg.namespace_span,
                });
            }
        }
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
