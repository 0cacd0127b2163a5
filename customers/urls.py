from django.urls import path

from customers.views import (
    clv,
    customers,
    imports,
    interactions,
    loyalty,
    marketing,
    profile,
    segments,
    tasks,
)

app_name = "customers"

urlpatterns = [
    path("", customers.customer_list, name="list"),
    path("imports/", imports.import_list, name="imports"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/columns/", imports.import_columns, name="import_columns"),
    path("imports/<int:pk>/rejected-rows.csv", imports.import_report, name="import_report"),
    path("model/", clv.model_page, name="model"),
    path("model/scores.csv", clv.score_export, name="score_export"),
    path("<int:pk>/", customers.customer_detail, name="detail"),
    path("<int:pk>/edit/", profile.customer_edit, name="edit"),
    path("segments/", segments.segment_list, name="segments"),
    path("segments/new/", segments.custom_segment_create, name="segment_create"),
    path("segments/<int:pk>/", segments.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", segments.custom_segment_edit, name="segment_edit"),
    path("segments/<int:pk>/members.csv", segments.segment_export, name="segment_export"),
    path("<int:pk>/points/", loyalty.points_change, name="points_change"),
    path("marketing/", marketing.marketing_overview, name="marketing"),
    path("marketing/spend/", marketing.spend_grid, name="marketing_spend"),
    path("marketing/spend/import/", marketing.spend_import, name="marketing_spend_import"),
    path("<int:pk>/notes/", interactions.customer_note_add, name="note_add"),
    path("<int:pk>/tasks/", interactions.customer_task_create, name="task_create"),
    path("tasks/", tasks.task_inbox, name="tasks"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/update/", tasks.task_update_view, name="task_update"),
    path("tasks/<int:pk>/status/", tasks.task_status, name="task_status"),
    path("tasks/<int:pk>/take/", tasks.task_take_view, name="task_take"),
    path("tasks/<int:pk>/notes/", tasks.task_note, name="task_note"),
]
