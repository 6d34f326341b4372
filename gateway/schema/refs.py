"""Lazy references between the domain modules of the schema, which refer to each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from gateway.schema.finance import FinanceRole, PaymentRequest, PaymentRequestFilter
    from gateway.schema.organisation import BudgetLine, Department, WorkUnit
    from gateway.schema.people import Employee, EmployeeFilter
    from gateway.schema.performance import Allowance, DepartmentPerformance, MonthlyPerformance

_FINANCE = strawberry.lazy("gateway.schema.finance")
_ORGANISATION = strawberry.lazy("gateway.schema.organisation")
_PEOPLE = strawberry.lazy("gateway.schema.people")
_PERFORMANCE = strawberry.lazy("gateway.schema.performance")

FinanceRoleRef = Annotated["FinanceRole", _FINANCE]
PaymentRequestRef = Annotated["PaymentRequest", _FINANCE]
PaymentRequestFilterRef = Annotated["PaymentRequestFilter", _FINANCE]
BudgetLineRef = Annotated["BudgetLine", _ORGANISATION]
DepartmentRef = Annotated["Department", _ORGANISATION]
WorkUnitRef = Annotated["WorkUnit", _ORGANISATION]
EmployeeRef = Annotated["Employee", _PEOPLE]
EmployeeFilterRef = Annotated["EmployeeFilter", _PEOPLE]
AllowanceRef = Annotated["Allowance", _PERFORMANCE]
DepartmentPerformanceRef = Annotated["DepartmentPerformance", _PERFORMANCE]
MonthlyPerformanceRef = Annotated["MonthlyPerformance", _PERFORMANCE]
