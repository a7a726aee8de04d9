//! pgvector's `vector` as a Rust return type: pgrx maps [`Vector`] to SQL `vector` and we build
//! pgvector's varlena layout directly (header, i16 dimensions, i16 unused, then f32s), so no
//! text round trip or cast is needed.

use pgrx::callconv::{BoxRet, FcInfo};
use pgrx::datum::Datum;
use pgrx::pg_sys;
use pgrx::pgrx_sql_entity_graph::metadata::{
    ArgumentError, ReturnsError, ReturnsRef, SqlMappingRef, SqlTranslatable, TypeOrigin,
};
use pgrx::prelude::*;
use std::cell::Cell;

pub struct Vector(pub Vec<f32>);

/// pgvector's limit on dimensions.
pub const MAX_DIM: usize = 16000;

unsafe impl SqlTranslatable for Vector {
    const TYPE_IDENT: &'static str = pgrx::pgrx_resolved_type!(Vector);
    const TYPE_ORIGIN: TypeOrigin = TypeOrigin::External;
    const ARGUMENT_SQL: Result<SqlMappingRef, ArgumentError> = Ok(SqlMappingRef::literal("vector"));
    const RETURN_SQL: Result<ReturnsRef, ReturnsError> = Ok(ReturnsRef::One(SqlMappingRef::literal("vector")));
}

thread_local! {
    static VECTOR_OID: Cell<Option<pg_sys::Oid>> = const { Cell::new(None) };
}

impl IntoDatum for Vector {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        let dim = self.0.len();
        if dim == 0 || dim > MAX_DIM {
            error!("the model returned a vector of {dim} dimensions; pgvector stores 1 to {MAX_DIM}");
        }
        let size = 8 + 4 * dim;
        // SAFETY: palloc0 gives `size` zeroed bytes in the current memory context; we write the
        // varlena header, the two i16 fields and `dim` f32s, all within that allocation.
        unsafe {
            let ptr = pg_sys::palloc0(size) as *mut u8;
            pgrx::set_varsize_4b(ptr as *mut pg_sys::varlena, size as i32);
            (ptr.add(4) as *mut i16).write_unaligned(dim as i16);
            std::ptr::copy_nonoverlapping(self.0.as_ptr() as *const u8, ptr.add(8), 4 * dim);
            Some(pg_sys::Datum::from(ptr))
        }
    }

    fn type_oid() -> pg_sys::Oid {
        VECTOR_OID.with(|cell| {
            if let Some(oid) = cell.get() {
                return oid;
            }
            let oid = Spi::get_one::<pg_sys::Oid>(
                "select t.oid from pg_catalog.pg_type t \
                 join pg_catalog.pg_depend d on d.objid operator(pg_catalog.=) t.oid and d.classid operator(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass \
                 join pg_catalog.pg_extension e on e.oid operator(pg_catalog.=) d.refobjid \
                 where e.extname operator(pg_catalog.=) 'vector' and t.typname operator(pg_catalog.=) 'vector'",
            )
            .ok()
            .flatten()
            .unwrap_or_else(|| error!("the vector extension (pgvector) is not installed"));
            cell.set(Some(oid));
            oid
        })
    }
}

// SAFETY: returns the datum built by into_datum (palloc'd in the function's memory context).
unsafe impl BoxRet for Vector {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> Datum<'fcx> {
        match self.into_datum() {
            Some(datum) => unsafe { fcinfo.return_raw_datum(datum) },
            None => fcinfo.return_null(),
        }
    }
}
