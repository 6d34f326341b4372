"""Which topic each field of the schema belongs to: the policy's map of the schema.

A field reads its type's topic unless it is listed in FIELD_TOPICS. An object of a type
in SUBJECT_TYPES is only handed to a caller that may see it. A type missing from
TYPE_TOPICS stops the schema from building, so nothing new is served unguarded.
"""

from __future__ import annotations

from gateway.access.policy import Topic

TYPE_TOPICS: dict[str, Topic] = {
    "Query": Topic.HEALTH,  # every root field is listed below
    # Writes are authorised by their resolvers (`Access.may_*`); what a payload hands
    # back is guarded like any read.
    "Mutation": Topic.HEALTH,
    # Subscriptions check their topic when they start and filter each event by the rules.
    "Subscription": Topic.HEALTH,
    "PaymentRequestEvent": Topic.PAYMENTS,
    "ActivityEvent": Topic.ACTIVITIES,
    "Department": Topic.DIRECTORY,
    "WorkUnit": Topic.DIRECTORY,
    "Budget": Topic.DIRECTORY,
    "BudgetLine": Topic.DIRECTORY,
    "Employee": Topic.PEOPLE,
    "Position": Topic.PEOPLE,
    "FinanceRole": Topic.PEOPLE,
    "Activity": Topic.ACTIVITIES,
    "MonthlyPerformance": Topic.PERFORMANCE,
    "Allowance": Topic.PERFORMANCE,
    "DepartmentPerformance": Topic.AGGREGATES,
    "PaymentRequest": Topic.PAYMENTS,
    "PaymentOrder": Topic.PAYMENTS,
    "Disbursement": Topic.PAYMENTS,
    "StatusChange": Topic.PAYMENTS,
    "FinancePowers": Topic.PAYMENTS,
    "ServiceClock": Topic.PAYMENTS,
    "ServiceLevel": Topic.PAYMENTS,  # how payment requests kept their deadlines
    "SourceStatus": Topic.HEALTH,
    "DataIssue": Topic.DATA_QUALITY,
    "PaymentRequestStats": Topic.PAYMENTS,
    "PaymentRequestGroup": Topic.PAYMENTS,
    "PaymentRequestKey": Topic.PAYMENTS,
    "ActivityStats": Topic.ACTIVITIES,
    "ActivityGroup": Topic.ACTIVITIES,
    "ActivityKey": Topic.ACTIVITIES,
    "EmployeeStats": Topic.PEOPLE,
    "EmployeeGroup": Topic.PEOPLE,
    "EmployeeKey": Topic.PEOPLE,
    "AllowanceStats": Topic.PAYMENTS,  # what `allowances` lists, summed
    "AllowanceGroup": Topic.PAYMENTS,
    "AllowanceKey": Topic.PAYMENTS,
}

STRUCTURAL_TYPES = frozenset({"PageInfo", "UserError", "MoneyStats", "IntStats"})
"""Types that only shape a list or a mutation's answer; suffixes Connection, Edge and
Payload are structural too."""

FIELD_TOPICS: dict[str, Topic] = {
    "Query.me": Topic.PEOPLE,
    "Query.department": Topic.DIRECTORY,
    "Query.departments": Topic.DIRECTORY,
    "Query.employee": Topic.PEOPLE,
    "Query.employees": Topic.PEOPLE,
    "Query.activities": Topic.ACTIVITIES,
    "Query.paymentRequest": Topic.PAYMENTS,
    "Query.paymentRequests": Topic.PAYMENTS,
    "Query.budgetLines": Topic.DIRECTORY,
    "Query.allowances": Topic.PAYMENTS,
    "Query.allowanceStats": Topic.PAYMENTS,
    "Query.paymentRequestStats": Topic.PAYMENTS,
    "Query.activityStats": Topic.ACTIVITIES,
    "Query.employeeStats": Topic.PEOPLE,
    "Query.serviceLevel": Topic.PAYMENTS,
    "Query.sources": Topic.HEALTH,
    "Query.dataIssues": Topic.DATA_QUALITY,
    "Department.employees": Topic.PEOPLE,
    "Department.paymentRequests": Topic.PAYMENTS,
    "Department.performance": Topic.AGGREGATES,
    "Department.serviceLevel": Topic.PAYMENTS,
    "Employee.birthDate": Topic.PERSONAL,
    "Employee.gender": Topic.PERSONAL,
    "Employee.activities": Topic.ACTIVITIES,
    "Employee.performance": Topic.PERFORMANCE,
    "Employee.allowance": Topic.PERFORMANCE,
    "Activity.description": Topic.ACTIVITY_TEXT,
    "Activity.output": Topic.ACTIVITY_TEXT,
    "Activity.reviewNote": Topic.ACTIVITY_TEXT,
    "Allowance.paymentRequests": Topic.PAYMENTS,
}

SUBJECT_TYPES = frozenset({"Employee", "Department", "PaymentRequest"})
"""Objects that are admitted one by one: people, departments and payment requests."""


def is_structural(type_name: str) -> bool:
    return (
        type_name in STRUCTURAL_TYPES
        or type_name.endswith("Connection")
        or type_name.endswith("Edge")
        or type_name.endswith("Payload")
        or type_name.startswith("__")
    )
