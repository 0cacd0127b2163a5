from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/rejected-rows.csv", views.import_report, name="import_report"),
    path("<int:pk>/", views.customer_detail, name="detail"),
]
